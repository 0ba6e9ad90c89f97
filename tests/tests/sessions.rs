//! Browser sessions against the real server binary: a session unused for longer than
//! `session_idle_secs` ends (and ended rows are removed at the next sign-in); "sign out
//! everywhere" ends every session of the admin, in every browser.

use chrono::Utc;
use mailferry::db::entity::session;
use mailferry_tests::mailferry_server::MailferryServer;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement,
};

/// Whether `token` still opens a protected server function.
fn works(server: &MailferryServer, token: &str) -> bool {
    let answer = server
        .http(
            &format!(
                "POST /api/endpoints/list HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 Accept: application/json\r\nCookie: mf_session={token}"
            ),
            b"",
        )
        .expect("the server answers");
    answer.starts_with("HTTP/1.1 200")
}

async fn database(server: &MailferryServer) -> sea_orm::DatabaseConnection {
    let path = server.data_dir.path().join("mailferry.db");
    sea_orm::Database::connect(format!("sqlite://{}", path.display()))
        .await
        .unwrap()
}

async fn session_rows(db: &sea_orm::DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT COUNT(*) FROM sessions",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_ends_and_is_removed() {
    let server = MailferryServer::start(&[("MAILFERRY_SESSION_IDLE_SECS", "600")]).unwrap();
    let idle = server.sign_in("").unwrap();
    let active = server.sign_in("").unwrap();
    assert!(works(&server, &idle) && works(&server, &active));
    // The first browser was left alone for 11 minutes (its last use moved back in time).
    let db = database(&server).await;
    let rows = session::Entity::find()
        .order_by_asc(session::Column::Id)
        .all(&db)
        .await
        .unwrap();
    let eleven_minutes_ago = Utc::now() - chrono::Duration::minutes(11);
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(eleven_minutes_ago))
        .col_expr(session::Column::CreatedAt, Expr::value(eleven_minutes_ago))
        .filter(session::Column::Id.eq(rows[0].id))
        .exec(&db)
        .await
        .unwrap();
    assert!(!works(&server, &idle), "idle past session_idle_secs");
    assert!(works(&server, &active), "the other session goes on");
    // An ended session's row goes at the next sign-in.
    session::ActiveModel {
        token_hash: Set("stale".into()),
        admin_id: Set(rows[0].admin_id),
        created_at: Set(Utc::now() - chrono::Duration::days(1)),
        expires_at: Set(Utc::now() - chrono::Duration::hours(12)),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    assert_eq!(session_rows(&db).await, 2);
    let _third = server.sign_in("").unwrap();
    assert_eq!(
        session_rows(&db).await,
        2,
        "the stale row removed, the new one added"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_everywhere_ends_every_session_of_the_admin() {
    let server = MailferryServer::start(&[]).unwrap();
    let laptop = server.sign_in("").unwrap();
    let phone = server.sign_in("").unwrap();
    assert!(works(&server, &laptop) && works(&server, &phone));
    let answer = server
        .http(
            &format!(
                "POST /api/auth/sign_out_everywhere HTTP/1.1\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n\
                 Cookie: mf_session={phone}"
            ),
            b"",
        )
        .unwrap();
    assert!(
        answer.contains("mf_session=;"),
        "the cookie is cleared:\n{answer}"
    );
    assert!(
        !works(&server, &laptop),
        "the other browser is signed out too"
    );
    assert!(!works(&server, &phone));
    assert_eq!(session_rows(&database(&server).await).await, 0);
}
