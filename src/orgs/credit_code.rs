//! The unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters from the
//! 31-character alphabet `0-9A-HJ-NP-RTUWXY` (no I, O, Z, S, V), the last one a check character
//! computed from the first 17 with the weights 3^i mod 31.

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The canonical form of `input` (trimmed, upper case) if it is a valid code.
pub fn normalize(input: &str) -> Option<String> {
    let code = input.trim().to_ascii_uppercase();
    is_valid(&code).then_some(code)
}

/// True when `code` has 18 characters of the alphabet and a matching check character.
pub fn is_valid(code: &str) -> bool {
    let bytes = code.as_bytes();
    if bytes.len() != 18 {
        return false;
    }
    let Some(values) = bytes
        .iter()
        .map(|&b| value_of(b))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    values[17] == check
}

/// Completes a 17-character prefix with its check character (for demo data and tests).
pub fn with_check_char(prefix: &str) -> Option<String> {
    let values = prefix.bytes().map(value_of).collect::<Option<Vec<u32>>>()?;
    if values.len() != 17 {
        return None;
    }
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    Some(format!("{prefix}{}", ALPHABET[check as usize] as char))
}

/// A valid code for generated organizations (demo data, the synthetic city): the registration
/// department and kind `prefix` (2 characters), the region code (6), and `n` written in the
/// code's alphabet (9); distinct `n` below 31⁹ give distinct codes.
pub fn numbered(prefix: &str, region: &str, n: usize) -> String {
    let mut rest = n;
    let mut tail = String::new();
    for _ in 0..9 {
        tail.push(ALPHABET[rest % 31] as char);
        rest /= 31;
    }
    with_check_char(&format!("{prefix}{region}{tail}")).expect("17 valid characters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_standard_example() {
        assert!(is_valid("91350100M000100Y43"));
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        assert!(!is_valid("91350100M000100Y44"));
    }

    #[test]
    fn rejects_wrong_length_and_alphabet() {
        assert!(!is_valid(""));
        assert!(!is_valid("91350100M000100Y4"));
        assert!(!is_valid("91350100M000100Y433"));
        // I, O, S, V and Z are not in the alphabet, even where the sum would match.
        for bad in ['I', 'O', 'S', 'V', 'Z'] {
            let code = format!("91350100M000100{bad}43");
            assert!(!is_valid(&code), "{code}");
        }
        // Multi-byte characters never pass.
        assert!(!is_valid("91350100M000100Y4三"));
    }

    #[test]
    fn normalizes_case_and_spaces() {
        assert_eq!(
            normalize(" 91350100m000100y43 ").as_deref(),
            Some("91350100M000100Y43")
        );
        assert_eq!(normalize("91350100M000100Y44"), None);
    }

    #[test]
    fn check_character_of_zero_remainder_is_zero() {
        // A prefix whose weighted sum is a multiple of 31 gets check character '0'.
        let code = with_check_char("00000000000000000").unwrap();
        assert_eq!(code, "000000000000000000");
        assert!(is_valid(&code));
    }

    #[test]
    fn generated_codes_validate() {
        for prefix in [
            "91140700MA0K12345",
            "12140700012345678",
            "11140702MB1234567",
        ] {
            let code = with_check_char(prefix).unwrap();
            assert!(is_valid(&code), "{code}");
            assert_eq!(&code[..17], prefix);
        }
        assert_eq!(
            with_check_char("91350100M000100Y4").as_deref(),
            Some("91350100M000100Y43")
        );
    }
}
