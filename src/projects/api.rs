//! HTTP handlers of project creators, projects, project roles, diagrams and the
//! products' `authorize` question (docs/api.md "Projects and diagrams").

use orgpass_app::ports::{DiagramRecord, ProjectRecord};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

use crate::web::{
    auth::require_session, context::Ctx, error::ApiError, http, http::json_response, Handled,
};

fn project_json(p: &ProjectRecord) -> Value {
    json!({ "id": p.id, "name": p.name, "created_at": p.created_at.to_rfc3339() })
}

fn diagram_json(d: &DiagramRecord) -> Value {
    json!({
        "id": d.id,
        "project_id": d.project_id,
        "title": d.title,
        "created_at": d.created_at.to_rfc3339(),
        "updated_at": d.updated_at.to_rfc3339(),
    })
}

fn no_content() -> Handled {
    Ok(Response::empty()?.with_status(204))
}

/// `GET /api/v1/orgs/{org}/project-creators`
pub async fn creators(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let ids = cx.app().list_project_creators(&token, key).await?;
    Ok(json_response(200, &json!({ "project_creators": ids }))?)
}

/// `PUT` (`add`) or `DELETE /api/v1/orgs/{org}/project-creators/{account_id}`
pub async fn creator(
    req: &mut Request,
    cx: &Ctx,
    key: &str,
    account_id: &str,
    add: bool,
) -> Handled {
    let token = require_session(req)?;
    cx.app()
        .set_project_creator(&token, key, account_id, add)
        .await?;
    no_content()
}

#[derive(Deserialize)]
struct NameBody {
    name: String,
}

/// `POST /api/v1/orgs/{org}/projects`
pub async fn create(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let body: NameBody = http::json(req).await?;
    let project = cx.app().create_project(&token, key, &body.name).await?;
    Ok(json_response(
        201,
        &json!({ "project": project_json(&project) }),
    )?)
}

/// `GET /api/v1/orgs/{org}/projects`
pub async fn list(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let (_, projects, may_create) = cx.app().list_projects(&token, key).await?;
    let list: Vec<Value> = projects.iter().map(project_json).collect();
    Ok(json_response(
        200,
        &json!({ "projects": list, "may_create": may_create }),
    )?)
}

/// `GET /api/v1/orgs/{org}/projects/{project_id}/members`
pub async fn members(req: &mut Request, cx: &Ctx, key: &str, project_id: &str) -> Handled {
    let token = require_session(req)?;
    let (_, members) = cx.app().project_members(&token, key, project_id).await?;
    let list: Vec<Value> = members
        .iter()
        .map(|m| json!({ "account_id": m.account_id, "role": m.role.as_str(), "via": m.via }))
        .collect();
    Ok(json_response(200, &json!({ "members": list }))?)
}

#[derive(Deserialize)]
struct RoleBody {
    role: String,
}

/// `PUT` / `DELETE /api/v1/orgs/{org}/projects/{project_id}/members/{account_id}` and
/// `…/groups/{group_id}`.
pub async fn role(
    req: &mut Request,
    cx: &Ctx,
    key: &str,
    project_id: &str,
    (kind, id): (&str, &str),
    put: bool,
) -> Handled {
    let token = require_session(req)?;
    let role = if put {
        Some(http::json::<RoleBody>(req).await?.role)
    } else {
        None
    };
    let app = cx.app();
    if kind == "groups" {
        app.set_project_group(&token, key, project_id, id, role.as_deref())
            .await?;
    } else {
        app.set_project_member(&token, key, project_id, id, role.as_deref())
            .await?;
    }
    no_content()
}

#[derive(Deserialize)]
struct TitleBody {
    title: String,
}

/// `POST /api/v1/orgs/{org}/projects/{project_id}/diagrams`
pub async fn create_diagram(req: &mut Request, cx: &Ctx, key: &str, project_id: &str) -> Handled {
    let token = require_session(req)?;
    let body: TitleBody = http::json(req).await?;
    let diagram = cx
        .app()
        .create_diagram(&token, key, project_id, &body.title)
        .await?;
    Ok(json_response(
        201,
        &json!({ "diagram": diagram_json(&diagram) }),
    )?)
}

/// `GET /api/v1/orgs/{org}/projects/{project_id}/diagrams`
pub async fn diagrams(req: &mut Request, cx: &Ctx, key: &str, project_id: &str) -> Handled {
    let token = require_session(req)?;
    let list = cx.app().list_diagrams(&token, key, project_id).await?;
    let list: Vec<Value> = list.iter().map(diagram_json).collect();
    Ok(json_response(200, &json!({ "diagrams": list }))?)
}

/// `PATCH /api/v1/orgs/{org}/diagrams/{diagram_id}`
pub async fn rename_diagram(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    let body: TitleBody = http::json(req).await?;
    let diagram = cx
        .app()
        .change_diagram(&token, key, id, Some(&body.title))
        .await?
        .ok_or(ApiError::RouteNotFound)?;
    Ok(json_response(
        200,
        &json!({ "diagram": diagram_json(&diagram) }),
    )?)
}

/// `DELETE /api/v1/orgs/{org}/diagrams/{diagram_id}`
pub async fn delete_diagram(req: &mut Request, cx: &Ctx, key: &str, id: &str) -> Handled {
    let token = require_session(req)?;
    cx.app().change_diagram(&token, key, id, None).await?;
    no_content()
}

#[derive(Deserialize)]
struct AuthorizeBody {
    account_id: String,
    action: String,
    project_id: Option<String>,
    diagram_id: Option<String>,
}

/// `POST /api/v1/orgs/{org}/authorize`
pub async fn authorize(req: &mut Request, cx: &Ctx, key: &str) -> Handled {
    let token = require_session(req)?;
    let body: AuthorizeBody = http::json(req).await?;
    let decision = cx
        .app()
        .authorize_action(
            &token,
            key,
            &body.account_id,
            &body.action,
            body.project_id.as_deref(),
            body.diagram_id.as_deref(),
        )
        .await?;
    Ok(json_response(
        200,
        &json!({ "allowed": decision.allowed, "reason": decision.reason.code() }),
    )?)
}
