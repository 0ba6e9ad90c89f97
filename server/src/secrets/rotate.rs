//! Key rotation: every stored secret (endpoint admin passwords, source passwords of mailboxes,
//! the SMTP password) is decrypted with the old key and sealed with the new one for its row, in
//! one transaction: either all of them move to the new key or none does. With the same key for
//! both, it reseals what earlier versions stored without key id or row (`reseal_legacy`).

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};

use super::{Cipher, CipherError, EncryptedSecret, Slot};
use crate::db::entity::{endpoint, mailbox, setting};

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("{what}: {source}")]
    Decrypt { what: String, source: CipherError },
}

/// Mailbox rows re-encrypted per round trip.
const PAGE: u64 = 1_000;

fn again(
    old: &Cipher,
    new: &Cipher,
    stored: &str,
    slot: &Slot<'_>,
    what: impl FnOnce() -> String,
) -> Result<String, RotateError> {
    let plain = old
        .decrypt_legacy_too(&EncryptedSecret(stored.to_string()), slot)
        .map_err(|source| RotateError::Decrypt {
            what: what(),
            source,
        })?;
    Ok(new.encrypt(&plain, slot).0)
}

/// Re-encrypts every stored secret; returns how many.
pub async fn rotate(
    db: &DatabaseConnection,
    old: &Cipher,
    new: &Cipher,
) -> Result<u64, RotateError> {
    let txn = db.begin().await?;
    let count = rotate_in(&txn, old, new).await?;
    txn.commit().await?;
    Ok(count)
}

async fn rotate_in(
    txn: &DatabaseTransaction,
    old: &Cipher,
    new: &Cipher,
) -> Result<u64, RotateError> {
    let mut count = 0;
    for e in endpoint::Entity::find().all(txn).await? {
        let sealed = [
            (
                &e.admin_secret,
                Slot::EndpointAdmin { endpoint_id: e.id },
                endpoint::Column::AdminSecret,
            ),
            (
                &e.oauth_secret,
                Slot::EndpointOAuth { endpoint_id: e.id },
                endpoint::Column::OauthSecret,
            ),
        ];
        for (stored, slot, column) in sealed {
            let Some(stored) = stored else { continue };
            let secret = again(old, new, stored, &slot, || format!("endpoint {}", e.id))?;
            endpoint::Entity::update_many()
                .col_expr(column, Expr::value(secret))
                .filter(endpoint::Column::Id.eq(e.id))
                .exec(txn)
                .await?;
            count += 1;
        }
    }
    for s in setting::Entity::find().all(txn).await? {
        let Some(stored) = &s.secret else { continue };
        let slot = Slot::Setting { key: &s.key };
        let secret = again(old, new, stored, &slot, || format!("setting {}", s.key))?;
        setting::Entity::update_many()
            .col_expr(setting::Column::Secret, Expr::value(secret))
            .filter(setting::Column::Key.eq(s.key.clone()))
            .exec(txn)
            .await?;
        count += 1;
    }
    count += reseal_mailboxes(txn, old, new).await?;
    Ok(count)
}

/// Every mailbox row's secrets, a page at a time; returns how many.
async fn reseal_mailboxes(
    txn: &DatabaseTransaction,
    old: &Cipher,
    new: &Cipher,
) -> Result<u64, RotateError> {
    let mut count = 0;
    let mut after = 0;
    loop {
        let page = mailbox::Entity::find()
            .filter(mailbox::Column::Id.gt(after))
            .order_by_asc(mailbox::Column::Id)
            .limit(PAGE)
            .all(txn)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for m in page {
            let what = || format!("mailbox {} (batch {})", m.email_address, m.batch_id);
            let (batch_id, email) = (m.batch_id, m.email_address.as_str());
            let slot = Slot::MailboxSource { batch_id, email };
            let source = again(old, new, &m.source_secret, &slot, what)?;
            let reseal = |stored: &Option<String>, slot: Slot<'_>| match stored {
                Some(stored) => again(old, new, stored, &slot, what).map(Some),
                None => Ok(None),
            };
            let destination = reseal(
                &m.destination_secret,
                Slot::MailboxDestination { batch_id, email },
            )?;
            let refresh = reseal(&m.refresh_secret, Slot::MailboxRefresh { batch_id, email })?;
            let verifier = reseal(
                &m.consent_verifier,
                Slot::MailboxConsent { batch_id, email },
            )?;
            mailbox::Entity::update_many()
                .col_expr(mailbox::Column::SourceSecret, Expr::value(source))
                .col_expr(mailbox::Column::DestinationSecret, Expr::value(destination))
                .col_expr(mailbox::Column::RefreshSecret, Expr::value(refresh))
                .col_expr(mailbox::Column::ConsentVerifier, Expr::value(verifier))
                .filter(mailbox::Column::Id.eq(m.id))
                .exec(txn)
                .await?;
            count += 1
                + u64::from(m.destination_secret.is_some())
                + u64::from(m.refresh_secret.is_some())
                + u64::from(m.consent_verifier.is_some());
        }
    }
    Ok(count)
}
