//! Private blobs on the command line: `floe store --encrypt --policy ...` seals a file before it
//! is stored, and `floe read` opens a sealed blob for a reader the policy admits. Publishers,
//! aggregators and storage nodes only ever see the sealed object.
//!
//! ```
//! use floe_cli::private_blob::PolicySpec;
//!
//! let spec: PolicySpec = "allowlist:0x5e".parse().unwrap();
//! assert!(matches!(spec, PolicySpec::Allowlist(_)));
//! // Time locks take milliseconds since the Unix epoch, RFC 3339, or a delay from the chain's
//! // time (read when the policy is resolved, as the policy checks the chain's `Clock`).
//! assert!(matches!("timelock:+10m".parse::<PolicySpec>().unwrap(), PolicySpec::TimeLock(_)));
//! assert!("subscription:".parse::<PolicySpec>().is_err());
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use floe_chain::floe::SealCalls;
use floe_chain::{ChainClient, ClockTime, Deployment, Keypair};
use floe_keyserver::KeyServerInfo;
use floe_keyserver::access::{read_allowlist, read_service};
use floe_keyserver::private_blob::{Approval, Policy, open_blob, parse_sealed, seal_blob};
use floe_seal::session::SessionKey;
use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

/// How long the session key of one `floe read` lives, in minutes.
const SESSION_TTL_MIN: u16 = 10;

/// The policy named on the command line, before the chain is asked about its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySpec {
    /// `owner` (the signer) or `owner:<address>`.
    Owner(Option<Address>),
    /// `allowlist:<allowlist id>`.
    Allowlist(Address),
    /// `subscription:<service id>`.
    Subscription(Address),
    /// `timelock:<time>`: when it opens.
    TimeLock(UnlockTime),
}

/// When a time lock opens, as written on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockTime {
    /// At this time, in ms since the Unix epoch (given as such or as an RFC 3339 date).
    At(u64),
    /// This long after the chain's current time (`+<duration>`). The chain's clock, not this
    /// machine's: `seal_approve` compares the unlock time with the chain's `Clock`, which may run
    /// apart from the wall clock (a devnet's clock can be moved ahead, a machine's clock drifts).
    After(Duration),
}

impl UnlockTime {
    /// The unlock time in ms since the Unix epoch, with `chain_now` the chain's current time.
    pub fn at(self, chain_now: ClockTime) -> u64 {
        match self {
            Self::At(ms) => ms,
            Self::After(delay) => {
                chain_now.as_ms().saturating_add(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX))
            }
        }
    }

    /// The unlock time, reading the chain's time from `chain` when it is relative.
    async fn on_chain(self, chain: &ChainClient) -> anyhow::Result<u64> {
        let now = match self {
            Self::At(ms) => return Ok(ms),
            Self::After(_) => chain.chain_time().await.context("cannot read the chain's time for the time lock")?,
        };
        Ok(self.at(now))
    }
}

impl FromStr for UnlockTime {
    type Err = String;

    /// Milliseconds since the Unix epoch, an RFC 3339 date, or `+<duration>` from the chain's
    /// current time.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(delay) = text.strip_prefix('+') {
            return parse_duration(delay).map(Self::After);
        }
        if let Ok(ms) = text.parse::<u64>() {
            return Ok(Self::At(ms));
        }
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .and_then(|t| u64::try_from(t.timestamp_millis()).ok())
            .map(Self::At)
            .ok_or(format!("{text:?} is not a time: give ms since the Unix epoch, RFC 3339 or +<duration> (e.g. +10m)"))
    }
}

impl FromStr for PolicySpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, value) = match text.split_once(':') {
            Some((kind, value)) => (kind, Some(value)),
            None => (text, None),
        };
        let id = |value: Option<&str>| -> Result<Address, String> {
            let value =
                value.filter(|v| !v.is_empty()).ok_or(format!("{kind}: needs an object id, e.g. {kind}:0x..."))?;
            value.parse().map_err(|e| format!("{kind}:{value}: not an object id ({e})"))
        };
        match kind {
            "owner" => match value {
                None => Ok(Self::Owner(None)),
                Some(_) => Ok(Self::Owner(Some(id(value)?))),
            },
            "allowlist" => Ok(Self::Allowlist(id(value)?)),
            "subscription" => Ok(Self::Subscription(id(value)?)),
            "timelock" => {
                let value =
                    value.ok_or("timelock: needs a time, e.g. timelock:+1h or timelock:2027-01-01T00:00:00Z")?;
                Ok(Self::TimeLock(value.parse()?))
            }
            other => Err(format!(
                "unknown policy {other:?}: use owner, allowlist:<id>, subscription:<service id> or timelock:<time>"
            )),
        }
    }
}

/// Parses `<number><unit>` with unit ms, s, m, h or d (e.g. `30s`, `2h`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration like 30s, 10m, 2h or 1d"))?;
    let unit_ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{text:?}: unknown unit {unit:?}; use ms, s, m, h or d")),
    };
    Ok(Duration::from_millis(number.saturating_mul(unit_ms)))
}

/// This machine's clock, for the session key: key servers check a session's lifetime against
/// their own clocks, as Seal's do.
fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The sealing flags of `floe store`.
#[derive(Debug, Clone, clap::Args)]
pub struct SealArgs {
    /// Encrypt each file with Seal before storing it; only readers the policy admits can open it.
    #[arg(long)]
    pub encrypt: bool,
    /// Who may read: owner (you), owner:ADDRESS, allowlist:ID, subscription:SERVICE_ID, or
    /// timelock:TIME (ms since the Unix epoch, RFC 3339, or +DURATION such as +1h from the chain's
    /// current time).
    #[arg(long, requires = "encrypt", default_value = "owner")]
    pub policy: PolicySpec,
    /// Key servers that must release their share to open the file; default: a majority.
    #[arg(long, requires = "encrypt")]
    pub threshold: Option<u8>,
    /// The KeyServer object ids to seal for, comma separated; default: the `key-servers.json`
    /// beside the deployment file or one directory up (as `floe localnet` writes it).
    #[arg(long, requires = "encrypt", value_delimiter = ',')]
    pub key_servers: Vec<Address>,
}

/// What `floe store --encrypt` adds to its report.
#[derive(Debug, Clone, Serialize)]
pub struct SealedReport {
    /// The policy, described.
    pub policy: String,
    /// A time lock's unlock time (ms since the Unix epoch), for scripts; the description shows
    /// it as a date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unlock_ms: Option<u64>,
    /// Key servers needed.
    pub threshold: u8,
    /// The KeyServer object ids sealed for.
    pub key_servers: Vec<Address>,
    /// The file's size before sealing.
    pub plaintext_size: usize,
    /// The stored (sealed) size.
    pub sealed_size: usize,
}

impl fmt::Display for SealedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  sealed for:  {} ({} of {} key servers; {} bytes stored for {})",
            self.policy,
            self.threshold,
            self.key_servers.len(),
            self.sealed_size,
            self.plaintext_size
        )
    }
}

/// One entry of `key-servers.json`.
#[derive(Debug, Deserialize)]
struct KeyServerEntry {
    object_id: Address,
}

/// Turns `floe store --encrypt` flags into a sealer: resolves the policy's objects and the key
/// servers once, then seals each file.
#[derive(Debug)]
pub struct Sealer {
    seal_package: Address,
    policy: Policy,
    servers: Vec<KeyServerInfo>,
    threshold: u8,
}

impl Sealer {
    /// Resolves `args` against the chain of `deployment` (found at `deployment_path`), for
    /// `signer` (the default owner).
    pub async fn new(
        args: &SealArgs,
        deployment: &Deployment,
        deployment_path: &Path,
        signer: &Keypair,
    ) -> anyhow::Result<Self> {
        let chain = ChainClient::new(&deployment.rpc_url)?;
        let ids =
            if args.key_servers.is_empty() { key_servers_beside(deployment_path)? } else { args.key_servers.clone() };
        let mut servers = Vec::with_capacity(ids.len());
        for id in ids {
            servers.push(
                KeyServerInfo::from_chain(&chain, id)
                    .await
                    .with_context(|| format!("cannot read key server {id} from the chain"))?,
            );
        }
        let n = u8::try_from(servers.len()).context("more than 255 key servers")?;
        let threshold = args.threshold.unwrap_or(n / 2 + 1);
        if threshold == 0 || threshold > n {
            bail!("--threshold {threshold} is not between 1 and the {n} key servers");
        }
        let policy = policy_on_chain(&args.policy, &chain, deployment, signer.address()).await?;
        Ok(Self { seal_package: deployment.packages.seal, policy, servers, threshold })
    }

    /// Seals `data`; returns the bytes to store and what to report.
    pub fn seal(&self, data: &[u8]) -> anyhow::Result<(Vec<u8>, SealedReport)> {
        let sealed =
            seal_blob(&mut rand::thread_rng(), self.seal_package, &self.policy, &self.servers, self.threshold, data)?;
        let report = SealedReport {
            policy: self.policy.to_string(),
            unlock_ms: match self.policy {
                Policy::TimeLock { unlock_ms } => Some(unlock_ms),
                _ => None,
            },
            threshold: self.threshold,
            key_servers: self.servers.iter().map(|s| s.object_id).collect(),
            plaintext_size: data.len(),
            sealed_size: sealed.len(),
        };
        Ok((sealed, report))
    }
}

/// The key servers listed in the `key-servers.json` beside the deployment file or one directory
/// up (`floe localnet` keeps the deployment in `DIR/devnet/` and the key servers in `DIR/`).
fn key_servers_beside(deployment_path: &Path) -> anyhow::Result<Vec<Address>> {
    let dir = deployment_path.parent().unwrap_or(Path::new("."));
    let candidates: Vec<PathBuf> =
        [Some(dir), dir.parent()].into_iter().flatten().map(|d| d.join("key-servers.json")).collect();
    let Some(path) = candidates.iter().find(|p| p.is_file()) else {
        bail!(
            "no --key-servers given and no key-servers.json at {}; name the KeyServer object ids",
            candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" or ")
        );
    };
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let entries: Vec<KeyServerEntry> =
        serde_json::from_slice(&text).with_context(|| format!("{} is not a list of key servers", path.display()))?;
    if entries.is_empty() {
        bail!("{} lists no key servers", path.display());
    }
    Ok(entries.into_iter().map(|e| e.object_id).collect())
}

/// The policy `spec` names, with its shared object read from the chain.
async fn policy_on_chain(
    spec: &PolicySpec,
    chain: &ChainClient,
    deployment: &Deployment,
    signer: Address,
) -> anyhow::Result<Policy> {
    let packages = &deployment.packages;
    Ok(match spec {
        PolicySpec::Owner(owner) => Policy::Owner(owner.unwrap_or(signer)),
        PolicySpec::Allowlist(id) => Policy::Allowlist(read_allowlist(chain, packages, *id).await?.0),
        PolicySpec::Subscription(id) => {
            let info = read_service(chain, packages, *id).await?;
            Policy::Subscription { service: info.object, coin_type: info.coin_type }
        }
        PolicySpec::TimeLock(unlock) => Policy::TimeLock { unlock_ms: unlock.on_chain(chain).await? },
    })
}

/// What `floe read` got: the blob as stored, or a sealed blob opened.
#[derive(Debug)]
pub enum Read {
    /// Not a sealed object of this deployment (or `--raw`): the bytes as stored.
    Plain(Vec<u8>),
    /// A sealed object, opened.
    Opened {
        /// The plaintext.
        data: Vec<u8>,
        /// The policy that admitted the reader, described.
        policy: String,
    },
}

/// Opens `bytes` if they are an object sealed under `deployment`'s Seal package: the policy is
/// `spec` or, without one, found from the sealed identity; `reader` signs the session key.
pub async fn open_if_sealed(
    deployment: &Deployment,
    reader: Option<&Keypair>,
    spec: Option<&PolicySpec>,
    bytes: Vec<u8>,
) -> anyhow::Result<Read> {
    let object = match parse_sealed(&bytes) {
        Ok(object) if object.header.package_id == deployment.packages.seal => object,
        _ if spec.is_some() => {
            bail!("--policy was given but the blob is not sealed under this deployment's Seal package")
        }
        _ => return Ok(Read::Plain(bytes)),
    };
    let reader = reader.context(
        "the blob is sealed (Seal-encrypted): pass --key or --keystore of a reader its policy admits, or --raw \
         to write the sealed bytes",
    )?;
    let chain = ChainClient::new(&deployment.rpc_url)?;
    let policy = match spec {
        Some(spec) => policy_on_chain(spec, &chain, deployment, reader.address()).await?,
        None => Policy::resolve(&chain, &deployment.packages, &object.header.id, reader.address()).await?,
    };
    let approval = Approval::for_reader(&chain, &deployment.packages, policy.clone(), reader.address()).await?;
    let mut servers = Vec::with_capacity(object.header.services.len());
    for &(id, _) in &object.header.services {
        servers.push(
            KeyServerInfo::from_chain(&chain, id)
                .await
                .with_context(|| format!("the blob names key server {id}, which the chain does not describe"))?,
        );
    }
    let session = SessionKey::create(
        reader,
        reader.address(),
        deployment.packages.seal,
        SESSION_TTL_MIN,
        now_ms(),
        &mut rand::thread_rng(),
    )?;
    let http = reqwest::Client::new();
    let seal = SealCalls::new(&deployment.packages);
    let data = open_blob(&http, &servers, &session, &seal, &approval, &bytes)
        .await
        .with_context(|| format!("opening the sealed blob as {} under the {policy}", reader.address()))?;
    Ok(Read::Opened { data, policy: policy.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_bad_ones_say_why() {
        let id: Address = "0x5e".parse().unwrap();
        assert_eq!("owner".parse::<PolicySpec>().unwrap(), PolicySpec::Owner(None));
        assert_eq!("owner:0x5e".parse::<PolicySpec>().unwrap(), PolicySpec::Owner(Some(id)));
        assert_eq!("allowlist:0x5e".parse::<PolicySpec>().unwrap(), PolicySpec::Allowlist(id));
        assert_eq!("subscription:0x5e".parse::<PolicySpec>().unwrap(), PolicySpec::Subscription(id));
        assert_eq!(
            "timelock:1700000000000".parse::<PolicySpec>().unwrap(),
            PolicySpec::TimeLock(UnlockTime::At(1_700_000_000_000))
        );
        let err = "allowlist:xyz".parse::<PolicySpec>().unwrap_err();
        assert!(err.contains("not an object id"), "{err}");
        let err = "friends".parse::<PolicySpec>().unwrap_err();
        assert!(err.contains("unknown policy \"friends\""), "{err}");
        assert!("timelock".parse::<PolicySpec>().unwrap_err().contains("needs a time"));
    }

    #[test]
    fn times_are_ms_rfc3339_or_a_delay_from_the_chains_time() {
        let time = |text: &str| text.parse::<UnlockTime>();
        assert_eq!(time("+90s"), Ok(UnlockTime::After(Duration::from_secs(90))));
        // A delay counts from the chain's time, whatever this machine's clock says.
        assert_eq!(time("+90s").unwrap().at(ClockTime(1_000)), 91_000);
        assert_eq!(time("+2h").unwrap().at(ClockTime(0)), 7_200_000);
        assert_eq!(time("2027-01-01T00:00:00Z"), Ok(UnlockTime::At(1_798_761_600_000)));
        assert_eq!(time("2027-01-01T01:00:00+01:00").unwrap().at(ClockTime(5)), 1_798_761_600_000);
        assert!(time("next week").unwrap_err().contains("is not a time"));
        assert!(parse_duration("5y").unwrap_err().contains("unknown unit"));
        assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86_400));
    }
}
