//! The match degree (匹配度): a 0–100 figure for a scenario × capability pair that means the same
//! whichever side asked and whatever else was ranked with it.
//!
//! A ranking score is relative to its query (text is normalized by the query's best hit, meaning
//! is a z-score across its candidates), so the same pair scores differently from each side. The
//! degree is computed from evidence that has no side: how much of the two texts' weight they
//! share, how near their meaning vectors are, and the structured fit (industry, region,
//! maturity, budget, track record), which is defined by the roles of the two items and not by
//! who asks. A logistic model turns the evidence into the chance that a reviewer judges the pair
//! a fit for the need (grade 2 or 3 in the labelled sets), fitted on the development set with
//! `match-eval --degree`; the degree is that chance in percent.

/// The evidence about one pair, the same from either side.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Evidence {
    /// The cosine of the two items' term vectors (√tf × IDF over both lists together, place
    /// names left out), 0..1.
    pub text: f32,
    /// The cosine of the two items' meaning vectors, −1..1 (0 without word vectors).
    pub meaning: f32,
    /// The structured signals' contributions to a score, summed.
    pub fit: f32,
}

/// The logistic model from evidence to the chance of a fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    pub intercept: f64,
    pub text: f64,
    pub meaning: f64,
    pub fit: f64,
}

/// Fitted on the development set (`match-eval --degree ../shared/eval/dev.json` prints these).
pub const CALIBRATION: Calibration = Calibration {
    intercept: -46.17,
    text: 18.04,
    meaning: 44.93,
    fit: 3.58,
};

/// The ridge penalty of a fit: keeps the weights finite when the evidence separates the grades.
const RIDGE: f64 = 0.01;

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Calibration {
    fn z(&self, e: &Evidence) -> f64 {
        self.intercept
            + self.text * f64::from(e.text)
            + self.meaning * f64::from(e.meaning)
            + self.fit * f64::from(e.fit)
    }

    /// The chance of a fit, 0..1.
    pub fn chance(&self, e: &Evidence) -> f64 {
        sigmoid(self.z(e))
    }

    /// The degree: the chance of a fit in percent, rounded.
    pub fn degree(&self, e: &Evidence) -> u8 {
        (100.0 * self.chance(e)).round() as u8
    }

    /// The maximum-likelihood model of `samples` (evidence, whether the pair fits), by Newton's
    /// method with a small ridge penalty on the weights.
    pub fn fit(samples: &[(Evidence, bool)]) -> Calibration {
        let features = |e: &Evidence| {
            [
                1.0,
                f64::from(e.text),
                f64::from(e.meaning),
                f64::from(e.fit),
            ]
        };
        let mut w = [0.0_f64; 4];
        for _ in 0..50 {
            let mut gradient = [0.0_f64; 4];
            let mut hessian = [[0.0_f64; 4]; 4];
            for (e, fits) in samples {
                let x = features(e);
                let p = sigmoid(x.iter().zip(&w).map(|(a, b)| a * b).sum());
                let y = if *fits { 1.0 } else { 0.0 };
                for i in 0..4 {
                    gradient[i] += (p - y) * x[i];
                    for j in 0..4 {
                        hessian[i][j] += p * (1.0 - p) * x[i] * x[j];
                    }
                }
            }
            for i in 1..4 {
                gradient[i] += RIDGE * w[i];
                hessian[i][i] += RIDGE;
            }
            hessian[0][0] += 1e-9;
            let step = solve(hessian, gradient);
            for i in 0..4 {
                w[i] -= step[i];
            }
            if step.iter().map(|s| s.abs()).fold(0.0, f64::max) < 1e-9 {
                break;
            }
        }
        Calibration {
            intercept: w[0],
            text: w[1],
            meaning: w[2],
            fit: w[3],
        }
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting (a is 4 × 4 and positive
/// definite here).
fn solve(mut a: [[f64; 4]; 4], mut b: [f64; 4]) -> [f64; 4] {
    for col in 0..4 {
        let pivot = (col..4)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..4 {
            let factor = a[row][col] / pivot_row[col];
            for (value, pivot) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *value -= factor * pivot;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = [0.0; 4];
    for row in (0..4).rev() {
        let rest: f64 = (row + 1..4).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    x
}

/// How well degrees agree with the grades: pairs by degree band, with the share that fits.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// Degrees from `low` up to (not including) `high`; the last band includes 100.
    pub low: u8,
    pub high: u8,
    pub pairs: usize,
    /// The mean degree of the band's pairs.
    pub mean_degree: f64,
    /// The share of the band's pairs that fit, in percent.
    pub fit_percent: f64,
}

/// Bands of 0–10, 10–30, 30–50, 50–70, 70–90 and 90–100, and the Brier score (mean squared
/// error of the chance against the outcome) of `samples` under `calibration`.
pub fn reliability(samples: &[(Evidence, bool)], calibration: &Calibration) -> (Vec<Band>, f64) {
    const EDGES: [u8; 7] = [0, 10, 30, 50, 70, 90, 101];
    let mut bands: Vec<Band> = EDGES
        .windows(2)
        .map(|w| Band {
            low: w[0],
            high: w[1].min(100),
            pairs: 0,
            mean_degree: 0.0,
            fit_percent: 0.0,
        })
        .collect();
    let mut brier = 0.0;
    for (e, fits) in samples {
        let chance = calibration.chance(e);
        let y = if *fits { 1.0 } else { 0.0 };
        brier += (chance - y).powi(2);
        let degree = calibration.degree(e);
        let band = EDGES
            .windows(2)
            .position(|w| degree >= w[0] && degree < w[1]);
        if let Some(band) = band.map(|i| &mut bands[i]) {
            band.pairs += 1;
            band.mean_degree += f64::from(degree);
            band.fit_percent += 100.0 * y;
        }
    }
    for band in &mut bands {
        if band.pairs > 0 {
            band.mean_degree /= band.pairs as f64;
            band.fit_percent /= band.pairs as f64;
        }
    }
    (bands, brier / samples.len().max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fit_recovers_the_model_that_made_the_outcomes() {
        let truth = Calibration {
            intercept: -3.0,
            text: 6.0,
            meaning: 2.0,
            fit: 1.5,
        };
        // Outcomes drawn deterministically: in each cell of evidence, the share that fits is
        // the model's chance.
        let mut samples = Vec::new();
        for t in 0..10 {
            for m in 0..5 {
                for f in 0..3 {
                    let e = Evidence {
                        text: t as f32 / 10.0,
                        meaning: m as f32 / 5.0,
                        fit: f as f32 / 3.0,
                    };
                    let fits = (truth.chance(&e) * 200.0).round() as usize;
                    for i in 0..200 {
                        samples.push((e, i < fits));
                    }
                }
            }
        }
        let fitted = Calibration::fit(&samples);
        for (got, want) in [
            (fitted.intercept, truth.intercept),
            (fitted.text, truth.text),
            (fitted.meaning, truth.meaning),
            (fitted.fit, truth.fit),
        ] {
            assert!((got - want).abs() < 0.1, "{fitted:?}");
        }
    }

    #[test]
    fn degrees_are_percent_chances_and_bands_count_them() {
        let even = Calibration {
            intercept: 0.0,
            text: 0.0,
            meaning: 0.0,
            fit: 0.0,
        };
        let e = Evidence::default();
        assert_eq!(even.degree(&e), 50);
        let (bands, brier) = reliability(&[(e, true), (e, false)], &even);
        let band = bands.iter().find(|b| b.low == 50).unwrap();
        assert_eq!(
            (band.pairs, band.mean_degree, band.fit_percent),
            (2, 50.0, 50.0)
        );
        assert!((brier - 0.25).abs() < 1e-12);
        assert_eq!(bands.last().unwrap().high, 100);
    }
}
