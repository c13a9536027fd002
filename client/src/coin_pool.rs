//! Lending an account's coins to its transactions, one transaction at a time per coin, so that
//! concurrent stores (a publisher serving many `PUT`s with one key) never build two transactions
//! on the same coin version.
//!
//! Sui names every owned input by its version; two transactions built from the same listing of
//! coins both name version `v`, the first to execute moves the coin to `v + 1` and the second is
//! refused (`object ... is at version 669, the transaction names version 665`), possibly after its
//! register transaction paid. So a coin is *lent* to one transaction; when the transaction ends its
//! effects give the coin's new version (and its balance follows from the gas charged and the amount
//! split off), and the coin goes back to the pool for the next one. A coin whose fate is unknown (a
//! transport error: the transaction may or may not have executed) is forgotten and read again from
//! the chain.
//!
//! When a transaction takes the last free coin of the pool and that coin is large, the
//! transaction also splits it into [`SPLIT_INTO`] more coins sent back to the account (the same
//! transaction, so no extra gas or latency): a pool of one gas coin and one WAL coin, as a fresh
//! account has, grows to as many coins as the concurrency needs, and a store that finds nothing
//! free waits for a coin to come back instead of failing.
//!
//! Why a coin pool rather than sub-wallets (Walrus's publisher funds sub-wallets, one per
//! in-flight request): sub-wallets need keys to keep, funding and refunding transactions, and
//! `Blob` objects that end up owned by them unless each store also transfers them back; the pool
//! keeps one account that owns every `Blob`, so a later store finds the registration it can
//! resume, and costs no transaction of its own. Every `ChainAccess` of the same chain and key in
//! a process shares one pool (a CLI command and a daemon in one process, a test and the
//! publisher it drives); its limit is the process: two processes signing with one key still race
//! each other, and a coin the other process moved fails one transaction, after which the pool
//! reads the account's coins again.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use floe_chain::{ChainClient, PaymentError, SelectedCoin, owned_coins};
use sui_sdk_types::{Address, ObjectReference, StructTag};
use tokio::sync::Notify;

/// How many coins a transaction splits off the last free coin of a pool, when it is large enough
/// for each part to pay what the transaction pays.
pub const SPLIT_INTO: u64 = 8;

/// How long a transaction waiting for a coin waits before it also looks at the chain again (coins
/// may arrive from outside the process).
const RECHECK_CHAIN: Duration = Duration::from_secs(2);

/// The coins of one type that one account owns, and which of them are lent out.
#[derive(Debug)]
pub(crate) struct CoinPool {
    client: ChainClient,
    owner: Address,
    coin_type: StructTag,
    state: Mutex<PoolState>,
    returned: Notify,
}

#[derive(Debug)]
struct PoolState {
    /// Coins no transaction holds, with their latest known reference and balance.
    free: HashMap<Address, SelectedCoin>,
    /// Coins lent to a transaction, with their balance when lent.
    lent: HashMap<Address, u64>,
    /// Coins merged away by a transaction of this pool: a listing read before it may still show
    /// them.
    retired: HashSet<Address>,
    /// The chain may hold coins the pool does not know (at start, after a split, after a coin
    /// was forgotten).
    stale: bool,
}

/// What taking coins from the free ones gave.
enum Take {
    Got(Vec<SelectedCoin>),
    /// Coins lent out now would cover the amount once back.
    Wait,
    /// Even every coin the pool knows falls short; the largest sum it could offer.
    Short(u64),
}

impl PoolState {
    fn take(&mut self, amount: u64, one_coin: bool) -> Take {
        let mut free: Vec<&SelectedCoin> = self.free.values().collect();
        free.sort_by_key(|coin| std::cmp::Reverse(coin.balance));
        let chosen: Vec<SelectedCoin> = if one_coin {
            free.first().filter(|coin| coin.balance >= amount).map(|coin| vec![(*coin).clone()]).unwrap_or_default()
        } else {
            let mut total = 0u64;
            let mut chosen = Vec::new();
            for coin in free {
                if total >= amount && !chosen.is_empty() {
                    break;
                }
                total = total.saturating_add(coin.balance);
                chosen.push(coin.clone());
            }
            if total >= amount { chosen } else { Vec::new() }
        };
        if !chosen.is_empty() {
            for coin in &chosen {
                self.free.remove(coin.reference.object_id());
                self.lent.insert(*coin.reference.object_id(), coin.balance);
            }
            return Take::Got(chosen);
        }
        let (free_balances, lent_balances) = (self.free.values().map(|coin| coin.balance), self.lent.values().copied());
        let possible = if one_coin {
            free_balances.chain(lent_balances).max().unwrap_or(0)
        } else {
            free_balances.chain(lent_balances).fold(0u64, u64::saturating_add)
        };
        if possible >= amount && !self.lent.is_empty() { Take::Wait } else { Take::Short(possible) }
    }
}

/// What became of a lent coin.
#[derive(Debug, Clone)]
pub(crate) enum CoinAfter {
    /// It exists with this reference and balance.
    Kept(SelectedCoin),
    /// The transaction merged it into another coin.
    Merged,
    /// Unknown (the transaction's outcome is unknown): read it again from the chain.
    Unknown,
}

/// The pools in use in this process, by chain URL, owner and coin type.
type PoolKey = (String, Address, String);
static POOLS: Mutex<Option<HashMap<PoolKey, std::sync::Weak<CoinPool>>>> = Mutex::new(None);

impl CoinPool {
    /// The process's pool of `owner`'s coins of `coin_type` (e.g. `0x2::sui::SUI`) on `client`'s
    /// chain, read from the chain on first use.
    pub(crate) fn shared(client: ChainClient, owner: Address, coin_type: StructTag) -> Arc<Self> {
        let key = (client.url().to_owned(), owner, coin_type.to_string());
        let mut pools = POOLS.lock().unwrap_or_else(|poison| poison.into_inner());
        let pools = pools.get_or_insert_with(HashMap::new);
        if let Some(pool) = pools.get(&key).and_then(std::sync::Weak::upgrade) {
            return pool;
        }
        pools.retain(|_, pool| pool.strong_count() > 0);
        let pool = Self::new(client, owner, coin_type);
        pools.insert(key, Arc::downgrade(&pool));
        pool
    }

    fn new(client: ChainClient, owner: Address, coin_type: StructTag) -> Arc<Self> {
        let state = PoolState { free: HashMap::new(), lent: HashMap::new(), retired: HashSet::new(), stale: true };
        Arc::new(Self { client, owner, coin_type, state: Mutex::new(state), returned: Notify::new() })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Coins that no transaction holds now.
    pub(crate) fn free_count(&self) -> usize {
        self.state().free.len()
    }

    /// Lends coins covering `amount` (with `one_coin`, a single coin of at least `amount`, as gas
    /// needs), waiting while coins lent to other transactions would cover it. Fails only when the
    /// account's coins, lent ones included, fall short.
    pub(crate) async fn lease(self: &Arc<Self>, amount: u64, one_coin: bool) -> Result<CoinLease, PaymentError> {
        loop {
            let returned = self.returned.notified();
            let mut returned = std::pin::pin!(returned);
            // Registered before looking, so a coin returned in between still wakes this waiter.
            returned.as_mut().enable();
            let (taken, stale) = {
                let mut state = self.state();
                (state.take(amount, one_coin), state.stale)
            };
            let refresh = match taken {
                Take::Got(coins) => {
                    let lease = CoinLease { pool: self.clone(), coins, done: false };
                    if self.current(&lease).await? {
                        return Ok(lease);
                    }
                    // Moved by someone outside the pool (another part of the process signing
                    // with this key, e.g. a node's own transactions): read the account again.
                    lease.settle(|_| CoinAfter::Unknown, false);
                    continue;
                }
                Take::Wait => stale,
                Take::Short(available) => {
                    if !stale {
                        return Err(PaymentError::InsufficientBalance {
                            owner: self.owner,
                            coin_type: self.coin_type.to_string(),
                            needed: amount,
                            available,
                        });
                    }
                    true
                }
            };
            if refresh {
                self.refresh().await?;
                continue;
            }
            if tokio::time::timeout(RECHECK_CHAIN, returned).await.is_err() {
                self.state().stale = true;
            }
        }
    }

    /// Reads the account's coins now if the pool has not read them yet (or takes what it knows
    /// for out of date), so that a lease made later finds them: a store does this while its blob
    /// encodes, rather than after it, when each read is a round trip on its way to paying.
    pub(crate) async fn warm(&self) -> Result<(), PaymentError> {
        if self.state().stale { self.refresh().await } else { Ok(()) }
    }

    /// Whether every lent coin is still at the version the pool knows: one batch read per
    /// transaction, so a coin moved outside the pool costs a re-read instead of a refused
    /// transaction.
    async fn current(&self, lease: &CoinLease) -> Result<bool, PaymentError> {
        let ids: Vec<Address> = lease.coins.iter().map(|coin| *coin.reference.object_id()).collect();
        let objects = self.client.get_objects(&ids).await?;
        Ok(lease
            .coins
            .iter()
            .zip(objects)
            .all(|(coin, object)| object.is_ok_and(|object| object.version() == coin.reference.version())))
    }

    /// Reads the account's coins from the chain; coins lent out keep their lender's view, and a
    /// coin the pool saw at a newer version than the listing keeps the newer one.
    async fn refresh(&self) -> Result<(), PaymentError> {
        let listed = owned_coins(&self.client, self.owner, &self.coin_type).await?;
        let mut state = self.state();
        let listed_ids: HashSet<Address> = listed.iter().map(|coin| *coin.reference.object_id()).collect();
        state.free.retain(|id, _| listed_ids.contains(id));
        for coin in listed {
            let id = *coin.reference.object_id();
            if state.lent.contains_key(&id) || state.retired.contains(&id) {
                continue;
            }
            let newer = state.free.get(&id).is_some_and(|known| known.reference.version() > coin.reference.version());
            if !newer {
                state.free.insert(id, coin);
            }
        }
        state.stale = false;
        drop(state);
        self.returned.notify_waiters();
        Ok(())
    }

    fn give_back(&self, coins: Vec<(Address, CoinAfter)>, split: bool) {
        let mut state = self.state();
        for (id, after) in coins {
            state.lent.remove(&id);
            match after {
                CoinAfter::Kept(coin) => {
                    state.free.insert(id, coin);
                }
                CoinAfter::Merged => {
                    state.retired.insert(id);
                }
                CoinAfter::Unknown => state.stale = true,
            }
        }
        if split {
            state.stale = true;
        }
        drop(state);
        self.returned.notify_waiters();
    }
}

/// Coins lent to one transaction. Dropped without [`CoinLease::settle`] (nothing was sent), they
/// go back unchanged.
#[derive(Debug)]
pub(crate) struct CoinLease {
    pool: Arc<CoinPool>,
    coins: Vec<SelectedCoin>,
    done: bool,
}

impl CoinLease {
    /// The lent coins, largest first.
    pub(crate) fn coins(&self) -> &[SelectedCoin] {
        &self.coins
    }

    /// Their total balance.
    pub(crate) fn total(&self) -> u64 {
        self.coins.iter().map(|coin| coin.balance).fold(0, u64::saturating_add)
    }

    /// Returns the coins after the transaction, each as `after` says; `split`: the transaction
    /// split new coins off them, which the pool reads from the chain.
    pub(crate) fn settle(mut self, after: impl Fn(&SelectedCoin) -> CoinAfter, split: bool) {
        self.done = true;
        let coins = std::mem::take(&mut self.coins);
        self.pool.give_back(coins.iter().map(|coin| (*coin.reference.object_id(), after(coin))).collect(), split);
    }
}

impl Drop for CoinLease {
    fn drop(&mut self) {
        if !self.done {
            let coins = std::mem::take(&mut self.coins);
            self.pool.give_back(
                coins.into_iter().map(|coin| (*coin.reference.object_id(), CoinAfter::Kept(coin))).collect(),
                false,
            );
        }
    }
}

/// The coin `reference` with `balance`.
pub(crate) fn coin(reference: ObjectReference, balance: u64) -> SelectedCoin {
    SelectedCoin { reference, balance }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sui_sdk_types::Digest;

    fn coin_of(id: u8, balance: u64) -> SelectedCoin {
        coin(ObjectReference::new(Address::new([id; 32]), 1, Digest::new([id; 32])), balance)
    }

    fn state(coins: &[SelectedCoin]) -> PoolState {
        PoolState {
            free: coins.iter().map(|coin| (*coin.reference.object_id(), coin.clone())).collect(),
            lent: HashMap::new(),
            retired: HashSet::new(),
            stale: false,
        }
    }

    #[test]
    fn a_lent_coin_is_not_lent_again_until_it_comes_back() {
        let mut pool = state(&[coin_of(1, 100)]);
        assert!(matches!(pool.take(10, true), Take::Got(coins) if coins.len() == 1));
        // The only coin is out: the next transaction waits instead of naming the same version.
        assert!(matches!(pool.take(10, true), Take::Wait));
        assert!(matches!(pool.take(1000, true), Take::Short(100)));
    }

    #[test]
    fn payments_take_coins_largest_first_until_covered() {
        let mut pool = state(&[coin_of(1, 5), coin_of(2, 50), coin_of(3, 20)]);
        let Take::Got(coins) = pool.take(60, false) else { panic!("covered") };
        assert_eq!(coins.iter().map(|coin| coin.balance).collect::<Vec<_>>(), vec![50, 20]);
        assert!(matches!(pool.take(60, false), Take::Wait), "the lent 70 would cover it");
        assert!(matches!(pool.take(80, false), Take::Short(75)));
    }
}
