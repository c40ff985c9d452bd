//! `importScenarios`: a collected-scenario file as a GraphQL multipart upload (the
//! GraphQL multipart request spec), for admins.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject, Upload};

use super::Problem;
use crate::db::Db;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::scenarios::model::ImportReport;
use crate::scenarios::service as scenario_service;
use crate::taxonomy::Taxonomy;
use crate::viewer::Viewer;

/// Something wrong with an imported file.
#[derive(SimpleObject)]
pub struct ImportError {
    /// The row of the sheet (the heading is row 1); null for the file as a whole.
    pub row: Option<i32>,
    /// The heading of the column; null for the row or the file as a whole.
    pub column: Option<String>,
    /// The scenario input field the error concerns, e.g. `["budgetMin"]`.
    pub field: Option<Vec<String>>,
    pub code: ErrorCode,
    /// Where and what, in Chinese: 第3行「预算下限（万元）」：「一百」不是整数.
    pub message: String,
}

impl From<Problem> for ImportError {
    fn from(problem: Problem) -> Self {
        ImportError {
            row: problem.row.map(|r| r as i32),
            column: problem.column.map(str::to_owned),
            message: problem.describe(),
            field: problem.error.field,
            code: problem.error.code,
        }
    }
}

/// A row left out because the unit already has that scenario (the same title).
#[derive(SimpleObject)]
pub struct SkippedImportRow {
    pub row: i32,
    /// The unit's existing scenario.
    pub scenario_id: ID,
}

/// What an import did: every row written (created and skipped), or nothing and the errors.
#[derive(SimpleObject, Default)]
pub struct ImportScenariosPayload {
    /// Scenarios created (DISCOVERED), 0 when the file was refused.
    pub created: i32,
    pub skipped: Vec<SkippedImportRow>,
    /// Every problem of the file by row and column (at most 200, then a count of the rest).
    /// Nothing was written when there are any.
    pub errors: Vec<ImportError>,
}

impl From<Result<ImportReport, Vec<Problem>>> for ImportScenariosPayload {
    fn from(outcome: Result<ImportReport, Vec<Problem>>) -> Self {
        match outcome {
            Ok(report) => ImportScenariosPayload {
                created: report.created as i32,
                skipped: report
                    .skipped
                    .into_iter()
                    .map(|s| SkippedImportRow {
                        row: s.line as i32,
                        scenario_id: ID(s.scenario_id),
                    })
                    .collect(),
                errors: Vec::new(),
            },
            Err(problems) => ImportScenariosPayload {
                errors: problems.into_iter().map(ImportError::from).collect(),
                ..Default::default()
            },
        }
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Admin: imports a collected-scenario file (场景征集表, XLSX or CSV as in the template at
    /// `/exports/templates/scenarios.xlsx`) as new DISCOVERED scenarios of a government unit.
    /// Every row is validated as `createScenario` validates; nothing is written unless all pass.
    /// A row whose title the unit already has is skipped, so a file imported twice creates
    /// nothing the second time. Send it as a multipart request (at most 8 MB, 5,000 rows).
    async fn import_scenarios(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        file: Upload,
    ) -> AppResult<ImportScenariosPayload> {
        let admin = scenario_service::importer(Viewer::of(ctx))?;
        let upload = file
            .value(ctx)
            .map_err(|_| AppError::BadRequest("未收到上传的文件".into()))?;
        let outcome = super::scenarios(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            &admin.sub,
            &organization_id,
            &upload.filename,
            upload.content.to_vec(),
            &|_, _| {},
        )
        .await?;
        Ok(outcome.into())
    }
}
