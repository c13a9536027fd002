//! Staking through the `floe` command on `floe localnet --candidates 1 --epoch-secs 4`: the
//! candidate is listed with no stake, `floe stake` (as much as a genesis node stakes) brings it
//! into the next committee with
//! shards, `floe stakes` / `unstake` / `withdraw` round trip, and a committee node's operator
//! runs the `floe node` operator commands with its node.toml.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

const WAL: u64 = 1_000_000_000;
const STAKE: u64 = 1_000_000 * WAL;

mod common;

use common::{Localnet, floe_command, run};

/// `floe localnet --candidates 1 --epoch-secs 4` without key servers, checked to list the candidate.
fn start(dir: &Path) -> Localnet {
    let net = Localnet::start(dir, &["--candidates", "1", "--epoch-secs", "4", "--key-servers", "0", "--no-demo"]);
    assert_eq!(net.started["node_urls"].as_array().map(Vec::len), Some(5), "{}", net.started);
    assert_eq!(net.started["candidates"], 1, "{}", net.started);
    net
}

/// What the staking test asks of the network through the `floe` binary.
trait StakingCommands {
    /// `floe --json ARGS --deployment D --key KEY` as the funded user.
    fn user(&self, args: &[&str]) -> Result<Value, String>;
    /// `floe --json node SUBCOMMAND ARGS --config DIR/node-<i>/node.toml`.
    fn operator(&self, node: usize, args: &[&str]) -> Result<Value, String>;
    /// `floe info`.
    fn info(&self) -> Value;
    /// `floe info` once `ready` holds of it, within 60 s.
    fn info_when(&self, what: &str, ready: impl Fn(&Value) -> bool) -> Value;
}

impl StakingCommands for Localnet {
    fn user(&self, args: &[&str]) -> Result<Value, String> {
        self.floe(Some(&self.key), args)
    }

    fn operator(&self, node: usize, args: &[&str]) -> Result<Value, String> {
        let mut command = floe_command(&["node"]);
        command.args(args).arg("--config").arg(self.dir.join(format!("node-{node}")).join("node.toml"));
        run(command)
    }

    fn info(&self) -> Value {
        self.user(&["info"]).expect("floe info")
    }

    /// `floe info` once `ready` holds of it, within 60 s.
    fn info_when(&self, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let info = self.info();
            if ready(&info) {
                return info;
            }
            assert!(Instant::now() < deadline, "{what} did not happen within 60 s: {info}");
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn node<'a>(info: &'a Value, name: &str) -> &'a Value {
    info["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name}: {info}"))
}

#[test]
fn a_candidate_staked_into_the_committee_and_the_stake_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let net = start(&dir.path().join("net"));

    // The candidate is registered with nothing staked and no shards.
    let info = net.info();
    assert_eq!(info["candidates"].as_array().map(Vec::len), Some(5), "{info}");
    assert_eq!(info["committee"].as_array().map(Vec::len), Some(4), "{info}");
    let candidate = node(&info, "node-4");
    assert_eq!((candidate["active_stake"].as_u64(), candidate["pending_stake"].as_u64()), (Some(0), Some(0)));
    assert_eq!(candidate["shards"], 0);
    let candidate_id = candidate["node_id"].as_str().unwrap().to_owned();
    assert!(info["schedule"]["epoch_duration_ms"] == 4_000, "{info}");

    let refused = net.user(&["stake", &candidate_id, "1.0000000001"]).unwrap_err();
    assert!(refused.contains("more than 9 decimals"), "{refused}");

    // As much as a genesis node (1,000,000 WAL): D'Hondt gives a much smaller stake no shard of 12.
    let staked = net.user(&["stake", &candidate_id, "1000000"]).expect("floe stake");
    assert_eq!(staked["amount"], STAKE, "{staked}");
    let staked_wal = staked["staked_wal"].as_str().unwrap().to_owned();

    // After the next epoch change the candidate holds shards.
    let info =
        net.info_when("the candidate joining the committee", |info| node(info, "node-4")["shards"].as_u64() > Some(0));
    let member = info["committee"].as_array().unwrap().iter().find(|m| m["node_id"] == candidate_id.as_str());
    assert!(member.is_some_and(|m| m["shards"].as_u64() > Some(0)), "{info}");
    assert!(node(&info, "node-4")["active_stake"].as_u64() >= Some(STAKE), "{info}");

    let stakes = net.user(&["stakes"]).expect("floe stakes");
    let listed = stakes["stakes"].as_array().unwrap().iter().find(|s| s["id"] == staked_wal.as_str()).cloned();
    let listed = listed.unwrap_or_else(|| panic!("{staked_wal} not in {stakes}"));
    assert_eq!((listed["principal"].as_u64(), listed["node_name"].as_str()), (Some(STAKE), Some("node-4")));
    assert_eq!(listed["state"], "Staked", "{listed}");

    let unstaked = net.user(&["unstake", &staked_wal]).expect("floe unstake");
    let withdraw_epoch = unstaked["withdraw_epoch"].as_u64().unwrap();
    let epoch = net.info()["epoch"].as_u64().unwrap();
    assert!(withdraw_epoch > epoch, "{unstaked} at epoch {epoch}");
    // Epochs last 4 s: this runs well before the withdrawal epoch comes.
    let early = net.user(&["withdraw", &staked_wal]).unwrap_err();
    assert!(early.contains(&format!("can be withdrawn from epoch {withdraw_epoch}")), "{early}");

    net.info_when("the withdrawal epoch", |info| info["epoch"].as_u64() >= Some(withdraw_epoch));
    let withdrawn = net.user(&["withdraw", &staked_wal]).expect("floe withdraw");
    assert!(withdrawn["amount"].as_u64() >= Some(STAKE), "{withdrawn}");
    let stakes = net.user(&["stakes"]).unwrap();
    assert!(stakes["stakes"].as_array().unwrap().iter().all(|s| s["id"] != staked_wal.as_str()), "{stakes}");

    // node-0's operator, with the node.toml localnet wrote.
    let set = net.operator(0, &["set-commission", "500"]).expect("set-commission");
    let effective = set["details"]["epoch"].as_u64().unwrap();
    let voted = net.operator(0, &["vote", "--storage-price", "2000", "--capacity", "1099511627776"]).expect("vote");
    assert_eq!(voted["details"]["storage_price"], 2000, "{voted}");
    let nothing = net.operator(0, &["vote"]).unwrap_err();
    assert!(nothing.contains("nothing to vote on"), "{nothing}");
    let collected = net.operator(0, &["collect-commission"]).expect("collect-commission");
    assert!(collected["details"]["amount"].is_u64(), "{collected}");
    let address = node(&net.info(), "node-0")["address"].as_str().unwrap().to_owned();
    net.operator(0, &["set-address", &address]).expect("set-address");
    let again = net.operator(0, &["register"]).unwrap_err();
    assert!(again.contains("already operates node"), "{again}");
    let info = net.info_when("the commission change", |info| info["epoch"].as_u64() >= Some(effective));
    assert_eq!(node(&info, "node-0")["commission_bps"], 500, "{info}");
}
