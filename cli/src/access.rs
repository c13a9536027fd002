//! Who may open private blobs: `floe allowlist create/add/remove/show`, `floe service create`
//! and `floe subscribe`. The ids they print are what `floe store --encrypt --policy
//! allowlist:<id>` or `subscription:<id>` take.

use std::fmt;

use anyhow::Context as _;
use floe_chain::ChainClient;
use floe_chain::floe::seal::{Allowlist, Subscription};
use floe_chain::floe::wal::wal_type;
use floe_keyserver::access::{PolicyAccount, ServiceInfo, read_allowlist, read_service};
use serde::Serialize;
use sui_sdk_types::{Address, StructTag, TypeTag};

use crate::private_blob::parse_duration;
use crate::{Output, account::AccountArgs};

/// Arguments of `floe allowlist`.
#[derive(Debug, Clone, clap::Args)]
pub struct AllowlistArgs {
    /// What to do with an allowlist.
    #[command(subcommand)]
    pub action: AllowlistAction,
}

/// The allowlist subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum AllowlistAction {
    /// Create an empty shared allowlist; you get its capability.
    Create {
        /// A name for people.
        name: String,
        /// The chain and key.
        #[command(flatten)]
        account: AccountArgs,
    },
    /// Let addresses open the allowlist's blobs.
    Add {
        /// The allowlist id.
        allowlist: Address,
        /// The addresses to add.
        #[arg(required = true)]
        addresses: Vec<Address>,
        /// The chain and key.
        #[command(flatten)]
        account: AccountArgs,
    },
    /// Stop addresses from opening the allowlist's blobs (keys already released stay released).
    Remove {
        /// The allowlist id.
        allowlist: Address,
        /// The addresses to remove.
        #[arg(required = true)]
        addresses: Vec<Address>,
        /// The chain and key.
        #[command(flatten)]
        account: AccountArgs,
    },
    /// Show an allowlist's members.
    Show {
        /// The allowlist id.
        allowlist: Address,
        /// The chain and key.
        #[command(flatten)]
        account: AccountArgs,
    },
}

/// Arguments of `floe service`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// What to do with a subscription service.
    #[command(subcommand)]
    pub action: ServiceAction,
}

/// The service subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ServiceAction {
    /// Create a shared service selling time-limited access to the blobs sealed for it; fees go to
    /// you.
    Create {
        /// A name for people.
        name: String,
        /// The fee per subscription, in the coin's smallest unit (FROST for WAL, MIST for SUI).
        #[arg(long)]
        fee: u64,
        /// How long a subscription lasts (e.g. 30s, 10m, 1h, 30d).
        #[arg(long, value_parser = parse_duration)]
        ttl: std::time::Duration,
        /// The coin of the fee: wal, sui, or a full type such as 0x2::sui::SUI.
        #[arg(long, default_value = "wal")]
        coin: String,
        /// The chain and key.
        #[command(flatten)]
        account: AccountArgs,
    },
    /// Show a service.
    Show {
        /// The service id.
        service: Address,
        /// The chain and key.
        #[command(flatten)]
        account: AccountArgs,
    },
}

/// Arguments of `floe subscribe`.
#[derive(Debug, Clone, clap::Args)]
pub struct SubscribeArgs {
    /// The service id.
    pub service: Address,
    /// The chain and key (the key pays the fee and owns the subscription).
    #[command(flatten)]
    pub account: AccountArgs,
}

/// An allowlist as the commands report it.
#[derive(Debug, Clone, Serialize)]
pub struct AllowlistReport {
    /// The allowlist id (the policy prefix).
    pub allowlist: Address,
    /// Its capability, when just created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<Address>,
    /// Its name.
    pub name: String,
    /// The members.
    pub members: Vec<Address>,
}

impl fmt::Display for AllowlistReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "allowlist {} ({:?})", self.allowlist, self.name)?;
        if let Some(cap) = self.cap {
            writeln!(f, "  capability: {cap}")?;
            writeln!(f, "  seal files for it with: floe store --encrypt --policy allowlist:{} ...", self.allowlist)?;
        }
        write!(f, "  members ({}):", self.members.len())?;
        for member in &self.members {
            write!(f, "\n    {member}")?;
        }
        Ok(())
    }
}

impl AllowlistReport {
    fn of(allowlist: Address, cap: Option<Address>, list: Allowlist) -> Self {
        Self { allowlist, cap, name: list.name, members: list.list }
    }
}

/// A service as the commands report it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    /// The service id (the policy prefix).
    pub service: Address,
    /// Its capability, when just created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<Address>,
    /// Its name.
    pub name: String,
    /// The fee, smallest unit of the coin.
    pub fee: u64,
    /// The coin type.
    pub coin_type: String,
    /// How long a subscription lasts, ms.
    pub ttl_ms: u64,
    /// Who receives the fees.
    pub owner: Address,
}

impl ServiceReport {
    fn of(cap: Option<Address>, info: ServiceInfo) -> Self {
        Self {
            service: info.object.id,
            cap,
            name: info.service.name,
            fee: info.service.fee,
            coin_type: info.coin_type.to_string(),
            ttl_ms: info.service.ttl_ms,
            owner: info.service.owner,
        }
    }
}

impl fmt::Display for ServiceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "service {} ({:?})", self.service, self.name)?;
        if let Some(cap) = self.cap {
            writeln!(f, "  capability: {cap}")?;
            writeln!(f, "  seal files for it with: floe store --encrypt --policy subscription:{} ...", self.service)?;
        }
        writeln!(f, "  fee:        {} of {}", self.fee, self.coin_type)?;
        writeln!(f, "  lasts:      {}", floe_chain::Span(self.ttl_ms))?;
        write!(f, "  paid to:    {}", self.owner)
    }
}

/// What `floe subscribe` reports.
#[derive(Debug, Clone, Serialize)]
pub struct SubscribeReport {
    /// The new Subscription object.
    pub subscription: Address,
    /// The service.
    pub service: Address,
    /// When it started (ms since the Unix epoch, chain clock).
    pub created_at_ms: u64,
    /// When it ends.
    pub expires_at_ms: u64,
}

impl fmt::Display for SubscribeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "subscription {} to service {}\n  valid from {} until {} (chain clock)",
            self.subscription,
            self.service,
            floe_chain::ClockTime(self.created_at_ms),
            floe_chain::ClockTime(self.expires_at_ms)
        )
    }
}

/// Runs `floe allowlist`.
pub async fn allowlist(args: &AllowlistArgs, output: Output) -> anyhow::Result<()> {
    let account_args = match &args.action {
        AllowlistAction::Create { account, .. }
        | AllowlistAction::Add { account, .. }
        | AllowlistAction::Remove { account, .. }
        | AllowlistAction::Show { account, .. } => account,
    };
    let deployment = account_args.deployment()?;
    let chain = ChainClient::new(&deployment.rpc_url)?;
    let packages = &deployment.packages;
    if let AllowlistAction::Show { allowlist, .. } = &args.action {
        let (_, list) = read_allowlist(&chain, packages, *allowlist).await?;
        return output.emit(&AllowlistReport::of(*allowlist, None, list));
    }
    let key = account_args.required_signer()?;
    let account = PolicyAccount::new(&chain, packages, &key);
    let report = match &args.action {
        AllowlistAction::Create { name, .. } => {
            let created = account.create_allowlist(name).await.context("creating the allowlist")?;
            let (_, list) = read_allowlist(&chain, packages, created.object.id).await?;
            AllowlistReport::of(created.object.id, Some(created.cap), list)
        }
        AllowlistAction::Add { allowlist, addresses, .. } => {
            let list = account.update_allowlist(*allowlist, addresses, &[]).await.context("adding to the allowlist")?;
            AllowlistReport::of(*allowlist, None, list)
        }
        AllowlistAction::Remove { allowlist, addresses, .. } => {
            let list =
                account.update_allowlist(*allowlist, &[], addresses).await.context("removing from the allowlist")?;
            AllowlistReport::of(*allowlist, None, list)
        }
        AllowlistAction::Show { .. } => unreachable!("answered above"),
    };
    output.emit(&report)
}

/// Runs `floe service`.
pub async fn service(args: &ServiceArgs, output: Output) -> anyhow::Result<()> {
    let account_args = match &args.action {
        ServiceAction::Create { account, .. } | ServiceAction::Show { account, .. } => account,
    };
    let deployment = account_args.deployment()?;
    let chain = ChainClient::new(&deployment.rpc_url)?;
    let packages = &deployment.packages;
    let report = match &args.action {
        ServiceAction::Show { service, .. } => ServiceReport::of(None, read_service(&chain, packages, *service).await?),
        ServiceAction::Create { name, fee, ttl, coin, .. } => {
            let coin_type = match coin.as_str() {
                "wal" | "WAL" => TypeTag::Struct(Box::new(wal_type(packages))),
                "sui" | "SUI" => TypeTag::Struct(Box::new(StructTag::sui())),
                other => other.parse().map_err(|e| anyhow::anyhow!("--coin {other}: not a coin type ({e})"))?,
            };
            let key = account_args.required_signer()?;
            let account = PolicyAccount::new(&chain, packages, &key);
            let ttl_ms = u64::try_from(ttl.as_millis()).context("--ttl is too long")?;
            let created =
                account.create_service(&coin_type, *fee, ttl_ms, name).await.context("creating the service")?;
            ServiceReport::of(Some(created.cap), read_service(&chain, packages, created.object.id).await?)
        }
    };
    output.emit(&report)
}

/// Runs `floe subscribe`.
pub async fn subscribe(args: &SubscribeArgs, output: Output) -> anyhow::Result<()> {
    let deployment = args.account.deployment()?;
    let chain = ChainClient::new(&deployment.rpc_url)?;
    let key = args.account.required_signer()?;
    let account = PolicyAccount::new(&chain, &deployment.packages, &key);
    let info = read_service(&chain, &deployment.packages, args.service).await?;
    let Subscription { id, service_id, created_at_ms } =
        account.subscribe(args.service).await.with_context(|| format!("subscribing to service {}", args.service))?;
    output.emit(&SubscribeReport {
        subscription: id,
        service: service_id,
        created_at_ms,
        expires_at_ms: created_at_ms.saturating_add(info.service.ttl_ms),
    })
}
