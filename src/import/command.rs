//! `twolists import scenarios FILE --unit …`: the command-line door of the import, with a
//! progress bar while rows are written and a summary at the end.

use std::path::Path;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use std::sync::Arc;

use crate::db::Db;
use crate::taxonomy::Taxonomy;
use crate::{auth, orgs};

/// Imports the file for the unit named by id or credit code, as the administrator with `by`
/// (the first one when `None`). Prints the summary on success; the problems, and that nothing
/// was written, otherwise (an error).
pub async fn scenarios(
    db: &Db,
    taxonomy: &Arc<Taxonomy>,
    file: &Path,
    unit: &str,
    by: Option<&str>,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("读取 {} 失败", file.display()))?;
    let org = orgs::find_by_key(db, unit)
        .await?
        .with_context(|| format!("没有 id 或统一社会信用代码为 {unit} 的单位"))?;
    let admin = auth::acting_admin(db, by).await?;
    let bar = ProgressBar::hidden();
    let progress = |done: usize, total: usize| {
        if bar.is_hidden() && done == 1 {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.set_length(total as u64);
            bar.set_style(
                ProgressStyle::with_template("写入 {bar:40} {pos}/{len} 行 {elapsed}")
                    .expect("a valid template"),
            );
        }
        bar.set_position(done as u64);
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let outcome =
        super::scenarios(db, taxonomy, &admin.id, &org.id, &name, bytes, &progress).await?;
    bar.finish_and_clear();
    match outcome {
        Ok(report) => {
            println!("已为「{}」导入{}个场景（挖掘）", org.name, report.created);
            if !report.skipped.is_empty() {
                let rows: Vec<String> = report.skipped.iter().map(|s| s.line.to_string()).collect();
                println!(
                    "跳过{}行：该单位已有同名场景（第{}行）",
                    report.skipped.len(),
                    rows.join("、")
                );
            }
            Ok(())
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("{}", problem.describe());
            }
            anyhow::bail!("文件有{}处问题，未导入任何场景", problems.len())
        }
    }
}
