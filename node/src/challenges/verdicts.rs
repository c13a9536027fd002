//! The node's signed verdicts on each epoch's challenges, kept in its database (so a restart
//! serves the same verdicts rather than signing new ones) and served to reporters at
//! `GET /v1/challenges/{epoch}/outcomes`.

use floe_encoder::{Epoch, messages::SignedMessage};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

use crate::{
    node::StorageNode,
    store::{SharedDatabase, StoreError},
};

/// Key: epoch (u32 big endian, so an epoch's verdicts are one range) then node id; value: BCS
/// of the `SignedMessage` of a `ChallengeOutcomeMessage`.
const VERDICTS: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("challenge-verdicts");

/// Epochs of verdicts kept: reporters of an epoch only ask during it, so two are plenty.
const EPOCHS_KEPT: Epoch = 2;

fn key(epoch: Epoch, node_id: &[u8; 32]) -> [u8; 36] {
    let mut key = [0u8; 36];
    key[..4].copy_from_slice(&epoch.to_be_bytes());
    key[4..].copy_from_slice(node_id);
    key
}

/// The verdict table of one node's database.
#[derive(Debug, Clone)]
pub struct Verdicts {
    db: SharedDatabase,
}

impl Verdicts {
    /// The verdicts kept in `node`'s database.
    pub fn of(node: &StorageNode) -> Self {
        Self { db: node.store().database() }
    }

    /// Keeps the verdict on `node_id` for `epoch` (replacing none: the first verdict stands),
    /// and forgets epochs older than the last `EPOCHS_KEPT` (2). Returns the verdict kept.
    pub fn keep(&self, epoch: Epoch, node_id: &[u8; 32], signed: SignedMessage) -> Result<SignedMessage, StoreError> {
        let txn = self.db.begin_write()?;
        let kept = {
            let mut table = txn.open_table(VERDICTS)?;
            let entry = key(epoch, node_id);
            let existing = table.get(entry.as_slice())?.map(|value| value.value().to_vec());
            let kept = match existing.and_then(|bytes| bcs::from_bytes::<SignedMessage>(&bytes).ok()) {
                Some(existing) => existing,
                None => {
                    let bytes = bcs::to_bytes(&signed).expect("BCS of plain data cannot fail");
                    table.insert(entry.as_slice(), bytes.as_slice())?;
                    signed
                }
            };
            let oldest = epoch.saturating_sub(EPOCHS_KEPT - 1);
            if oldest > 0 {
                table.retain_in(..key(oldest, &[0; 32]).as_slice(), |_, _| false)?;
            }
            kept
        };
        self.db.commit(txn)?;
        Ok(kept)
    }

    /// Every verdict signed for `epoch`, in node id order.
    pub fn of_epoch(&self, epoch: Epoch) -> Result<Vec<SignedMessage>, StoreError> {
        self.of_epoch_about(epoch, None)
    }

    /// The verdicts signed for `epoch` on the nodes in `about` (all if `None`), in node id order.
    /// Only those are read and decoded: a reporter's question names a few nodes, and each
    /// decoded signature costs a curve point decompression.
    pub fn of_epoch_about(
        &self,
        epoch: Epoch,
        about: Option<&std::collections::BTreeSet<[u8; 32]>>,
    ) -> Result<Vec<SignedMessage>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(VERDICTS) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(error) => return Err(error.into()),
        };
        let mut verdicts = Vec::new();
        for entry in table.range(key(epoch, &[0; 32]).as_slice()..=key(epoch, &[0xff; 32]).as_slice())? {
            let (entry_key, value) = entry?;
            let node_id = <[u8; 32]>::try_from(&entry_key.value()[4..]).unwrap_or_default();
            if about.is_some_and(|about| !about.contains(&node_id)) {
                continue;
            }
            // Written by this node from plain data; an undecodable entry is skipped, not served.
            if let Ok(signed) = bcs::from_bytes::<SignedMessage>(value.value()) {
                verdicts.push(signed);
            }
        }
        Ok(verdicts)
    }
}

#[cfg(test)]
mod tests {
    use floe_encoder::bls::BlsSecretKey;

    use super::*;

    #[test]
    fn the_first_verdict_stands_and_old_epochs_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(dir.path()).unwrap();
        let verdicts = Verdicts { db: store.database() };
        let key = BlsSecretKey::from_seed(&[1; 32]);
        let signed = |text: &[u8]| SignedMessage::sign(text.to_vec(), &key);
        assert_eq!(verdicts.keep(3, &[1; 32], signed(b"a")).unwrap(), signed(b"a"));
        assert_eq!(verdicts.keep(3, &[1; 32], signed(b"b")).unwrap(), signed(b"a"), "not replaced");
        verdicts.keep(3, &[2; 32], signed(b"c")).unwrap();
        assert_eq!(verdicts.of_epoch(3).unwrap(), vec![signed(b"a"), signed(b"c")]);
        assert!(verdicts.of_epoch(4).unwrap().is_empty());
        verdicts.keep(4, &[1; 32], signed(b"d")).unwrap();
        assert_eq!(verdicts.of_epoch(3).unwrap().len(), 2, "the previous epoch is kept");
        verdicts.keep(5, &[1; 32], signed(b"e")).unwrap();
        assert!(verdicts.of_epoch(3).unwrap().is_empty(), "older epochs are forgotten");
        assert_eq!(verdicts.of_epoch(4).unwrap(), vec![signed(b"d")]);
    }
}
