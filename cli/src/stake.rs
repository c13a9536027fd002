//! The delegator's commands: `floe stake NODE_ID AMOUNT`, `floe stakes`, `floe unstake
//! STAKED_WAL_ID`, `floe withdraw STAKED_WAL_ID`; and WAL amounts as people type them
//! (`1.5` WAL = 1,500,000,000 FROST).

use std::fmt;
use std::str::FromStr;

use anyhow::Context as _;
use floe_chain::floe::staked_wal::StakedWalState;
use floe_chain::floe::wal::FROST_PER_WAL;
use floe_client::StakeInfo;
use serde::Serialize;
use sui_sdk_types::Address;

use crate::{Output, account::AccountArgs};

/// Digits after the point in a WAL amount (`wal::DECIMALS`).
const DECIMALS: usize = floe_chain::floe::wal::DECIMALS as usize;

/// Why a WAL amount was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not a decimal number.
    #[error("`{0}` is not an amount of WAL; write it like 100 or 1.5")]
    NotANumber(String),
    /// More precision than a FROST.
    #[error("`{0}` has more than 9 decimals; 0.000000001 WAL (1 FROST) is the smallest amount")]
    TooPrecise(String),
    /// More WAL than a u64 of FROST holds.
    #[error("`{0}` WAL is more than can exist")]
    TooLarge(String),
    /// Zero.
    #[error("`{0}` is zero; stake more than nothing")]
    Zero(String),
}

/// An amount of WAL, held exactly in FROST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalAmount(pub u64);

impl FromStr for WalAmount {
    type Err = AmountError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let not_a_number = || AmountError::NotANumber(text.to_owned());
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
            return Err(not_a_number());
        }
        if text.ends_with('.') {
            return Err(not_a_number());
        }
        if fraction.len() > DECIMALS {
            return Err(AmountError::TooPrecise(text.to_owned()));
        }
        let too_large = || AmountError::TooLarge(text.to_owned());
        let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_large())? };
        let fraction: u64 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<DECIMALS$}").parse().map_err(|_| not_a_number())?
        };
        let frost = whole.checked_mul(FROST_PER_WAL).and_then(|f| f.checked_add(fraction)).ok_or_else(too_large)?;
        if frost == 0 {
            return Err(AmountError::Zero(text.to_owned()));
        }
        Ok(Self(frost))
    }
}

/// `frost` as WAL with only the decimals it needs (`1.5 WAL`).
pub fn format_wal(frost: u64) -> String {
    let whole = frost / FROST_PER_WAL;
    let fraction = frost % FROST_PER_WAL;
    if fraction == 0 {
        format!("{whole} WAL")
    } else {
        let digits = format!("{fraction:0DECIMALS$}");
        format!("{whole}.{} WAL", digits.trim_end_matches('0'))
    }
}

/// Arguments of `floe stake`.
#[derive(Debug, Clone, clap::Args)]
pub struct StakeArgs {
    /// The node to stake with (its node id, as `floe info` lists it).
    pub node_id: Address,
    /// WAL to stake, with up to 9 decimals (e.g. 100 or 1.5).
    pub amount: WalAmount,
    /// The chain and key.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Arguments of `floe stakes`.
#[derive(Debug, Clone, clap::Args)]
pub struct StakesArgs {
    /// Whose stakes (default: the key's account).
    #[arg(long)]
    pub owner: Option<Address>,
    /// The chain and key.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Arguments of `floe unstake` and `floe withdraw`.
#[derive(Debug, Clone, clap::Args)]
pub struct StakedWalArgs {
    /// The StakedWal object (as `floe stakes` lists it).
    pub staked_wal: Address,
    /// The chain and key.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// What `floe stake` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Staked {
    /// The new StakedWal object.
    pub staked_wal: Address,
    /// The node.
    pub node_id: Address,
    /// FROST staked.
    pub amount: u64,
}

impl fmt::Display for Staked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "staked {} with node {}: StakedWal {}", format_wal(self.amount), self.node_id, self.staked_wal)
    }
}

/// What `floe stakes` reports.
#[derive(Debug, Clone, Serialize)]
pub struct StakesReport {
    /// The owner.
    pub owner: Address,
    /// The current epoch.
    pub epoch: u32,
    /// The stakes, oldest activation first.
    pub stakes: Vec<StakeInfo>,
}

impl fmt::Display for StakesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} StakedWal of {} at epoch {}", self.stakes.len(), self.owner, self.epoch)?;
        if self.stakes.is_empty() {
            return Ok(());
        }
        write!(
            f,
            "\n{:<66}  {:<16}  {:>20}  {:<24}  {:>20}",
            "id", "node", "principal", "state", "value (if withdrawn)"
        )?;
        for stake in &self.stakes {
            let state = match stake.state {
                StakedWalState::Staked if stake.activation_epoch > self.epoch => {
                    format!("active from epoch {}", stake.activation_epoch)
                }
                StakedWalState::Staked => format!("active since epoch {}", stake.activation_epoch),
                StakedWalState::Withdrawing { withdraw_epoch } => format!("withdrawable at epoch {withdraw_epoch}"),
            };
            write!(
                f,
                "\n{:<66}  {:<16}  {:>20}  {:<24}  {:>20}\n  node {}",
                stake.id.to_string(),
                stake.node_name,
                format_wal(stake.principal),
                state,
                format_wal(stake.value),
                stake.node_id
            )?;
        }
        Ok(())
    }
}

/// What `floe unstake` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Unstaked {
    /// The stake.
    pub staked_wal: Address,
    /// The epoch from which `floe withdraw` pays it.
    pub withdraw_epoch: u32,
}

impl fmt::Display for Unstaked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "withdrawal of {} requested; `floe withdraw` pays it from epoch {}",
            self.staked_wal, self.withdraw_epoch
        )
    }
}

/// What `floe withdraw` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Withdrawn {
    /// The stake (now gone).
    pub staked_wal: Address,
    /// FROST paid: principal and rewards.
    pub amount: u64,
}

impl fmt::Display for Withdrawn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "withdrew {}: {} paid to you", self.staked_wal, format_wal(self.amount))
    }
}

/// `floe stake`.
pub async fn stake(args: &StakeArgs, output: Output) -> anyhow::Result<()> {
    let chain = args.account.chain(Some(args.account.required_signer()?)).await?;
    let staked_wal = chain
        .stake(args.node_id, args.amount.0)
        .await
        .with_context(|| format!("staking {} with node {}", format_wal(args.amount.0), args.node_id))?;
    output.emit(&Staked { staked_wal, node_id: args.node_id, amount: args.amount.0 })
}

/// `floe stakes`.
pub async fn stakes(args: &StakesArgs, output: Output) -> anyhow::Result<()> {
    let owner = match args.owner {
        Some(owner) => owner,
        None => args.account.required_signer().context("give --owner ADDRESS or a key")?.address(),
    };
    let chain = args.account.chain(None).await?;
    let epoch = chain.staking().await?.epoch;
    let stakes = chain.stakes(owner).await.with_context(|| format!("listing the stakes of {owner}"))?;
    output.emit(&StakesReport { owner, epoch, stakes })
}

/// `floe unstake`.
pub async fn unstake(args: &StakedWalArgs, output: Output) -> anyhow::Result<()> {
    let chain = args.account.chain(Some(args.account.required_signer()?)).await?;
    let withdraw_epoch = chain
        .request_withdraw(args.staked_wal)
        .await
        .with_context(|| format!("requesting the withdrawal of {}", args.staked_wal))?;
    output.emit(&Unstaked { staked_wal: args.staked_wal, withdraw_epoch })
}

/// `floe withdraw`.
pub async fn withdraw(args: &StakedWalArgs, output: Output) -> anyhow::Result<()> {
    let chain = args.account.chain(Some(args.account.required_signer()?)).await?;
    let amount = chain.withdraw(args.staked_wal).await.with_context(|| format!("withdrawing {}", args.staked_wal))?;
    output.emit(&Withdrawn { staked_wal: args.staked_wal, amount })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_amounts_parse_exactly_into_frost() {
        assert_eq!("1.5".parse(), Ok(WalAmount(1_500_000_000)));
        assert_eq!("100".parse(), Ok(WalAmount(100 * FROST_PER_WAL)));
        assert_eq!("0.000000001".parse(), Ok(WalAmount(1)));
        assert_eq!(".25".parse(), Ok(WalAmount(250_000_000)));
        assert_eq!("18446744073.709551615".parse(), Ok(WalAmount(u64::MAX)));
    }

    #[test]
    fn bad_wal_amounts_are_refused_with_the_reason() {
        assert_eq!("1.0000000001".parse::<WalAmount>(), Err(AmountError::TooPrecise("1.0000000001".into())));
        assert_eq!(
            "18446744073.709551616".parse::<WalAmount>(),
            Err(AmountError::TooLarge("18446744073.709551616".into()))
        );
        assert_eq!(
            "99999999999999999999".parse::<WalAmount>(),
            Err(AmountError::TooLarge("99999999999999999999".into()))
        );
        assert_eq!("0.0".parse::<WalAmount>(), Err(AmountError::Zero("0.0".into())));
        for text in ["", ".", "1.", "-1", "1e9", "1,5", "1.2.3", " 1", "abc"] {
            assert_eq!(text.parse::<WalAmount>(), Err(AmountError::NotANumber(text.into())), "{text:?}");
        }
        assert!(AmountError::TooPrecise("1.0000000001".into()).to_string().contains("more than 9 decimals"));
    }

    #[test]
    fn frost_prints_as_wal_with_the_decimals_it_needs() {
        assert_eq!(format_wal(1_500_000_000), "1.5 WAL");
        assert_eq!(format_wal(100 * FROST_PER_WAL), "100 WAL");
        assert_eq!(format_wal(1), "0.000000001 WAL");
        assert_eq!(format_wal(0), "0 WAL");
    }
}
