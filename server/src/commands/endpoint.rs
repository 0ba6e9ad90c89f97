//! `mailferry endpoint …`: list the stored endpoints and test one.

use sea_orm::{EntityTrait, QueryOrder};

use crate::cli::EndpointAction;
use crate::config::Config;
use crate::db::entity::endpoint;
use crate::endpoints::store::{self, EndpointStoreError};
use crate::endpoints::test_endpoint::{EndpointTest, test_endpoint};

#[derive(Debug, thiserror::Error)]
pub enum EndpointCommandError {
    #[error(transparent)]
    Runtime(#[from] crate::runtime::RuntimeError),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Store(#[from] EndpointStoreError),
}

pub async fn run(action: EndpointAction, config: Config) -> Result<u8, EndpointCommandError> {
    let runtime = crate::runtime::open(config).await?;
    match action {
        EndpointAction::List => {
            for e in endpoint::Entity::find()
                .order_by_asc(endpoint::Column::Id)
                .all(&runtime.db)
                .await?
            {
                println!(
                    "{:>4}  {:<12} {:<40} {}:{} ({}) admin: {}",
                    e.id,
                    e.role.as_str(),
                    e.name,
                    e.host,
                    e.port,
                    e.security.as_str(),
                    e.admin_user.as_deref().unwrap_or("-")
                );
            }
            Ok(0)
        }
        EndpointAction::Test { id, probe_user } => {
            let settings = store::load(&runtime.db, &runtime.cipher, id).await?;
            match test_endpoint(&settings, probe_user.as_deref()).await {
                EndpointTest::Ok {
                    capabilities,
                    note,
                    profile,
                } => {
                    println!(
                        "ok: {note}\nserver: {}\ncapabilities: {}",
                        profile.label(),
                        capabilities.join(" ")
                    );
                    Ok(0)
                }
                EndpointTest::Failed { kind, detail } => {
                    println!(
                        "{}: {detail}\nsuggested solution: {}",
                        kind.title(),
                        kind.solution()
                    );
                    Ok(2)
                }
            }
        }
    }
}
