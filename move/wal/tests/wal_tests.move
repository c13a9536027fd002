#[test_only]
module wal::wal_tests;

use sui::coin::{Coin, CoinMetadata};
use sui::test_scenario;
use wal::wal::{Self, WAL, ProtectedTreasury};

const PUBLISHER: address = @0xA11CE;

#[test]
fun publish_mints_the_whole_supply_to_the_publisher() {
    let mut scenario = test_scenario::begin(PUBLISHER);
    wal::init_for_testing(scenario.ctx());
    scenario.next_tx(PUBLISHER);
    let supply = scenario.take_from_sender<Coin<WAL>>();
    assert!(supply.value() == 5_000_000_000 * 1_000_000_000);
    assert!(supply.value() == wal::initial_supply_frost());
    let treasury = scenario.take_shared<ProtectedTreasury>();
    assert!(treasury.total_supply() == supply.value());
    test_scenario::return_shared(treasury);
    scenario.return_to_sender(supply);
    scenario.end();
}

#[test]
fun metadata_has_nine_decimals_and_the_wal_symbol() {
    let mut scenario = test_scenario::begin(PUBLISHER);
    wal::init_for_testing(scenario.ctx());
    scenario.next_tx(PUBLISHER);
    let metadata = scenario.take_immutable<CoinMetadata<WAL>>();
    assert!(metadata.get_decimals() == 9);
    assert!(metadata.get_symbol() == b"WAL".to_ascii_string());
    assert!(metadata.get_name() == b"WAL Token".to_string());
    assert!(metadata.get_icon_url().is_some());
    assert!(wal::decimals() == 9 && wal::frost_per_wal() == 1_000_000_000);
    test_scenario::return_immutable(metadata);
    scenario.end();
}

#[test]
fun burning_reduces_the_total_supply() {
    let mut scenario = test_scenario::begin(PUBLISHER);
    wal::init_for_testing(scenario.ctx());
    scenario.next_tx(PUBLISHER);
    let mut supply = scenario.take_from_sender<Coin<WAL>>();
    let mut treasury = scenario.take_shared<ProtectedTreasury>();
    let burned = supply.split(1_000, scenario.ctx());
    treasury.burn(burned);
    assert!(treasury.total_supply() == wal::initial_supply_frost() - 1_000);
    test_scenario::return_shared(treasury);
    scenario.return_to_sender(supply);
    scenario.end();
}

#[test]
fun the_treasury_cap_is_not_owned_by_anyone() {
    let mut scenario = test_scenario::begin(PUBLISHER);
    wal::init_for_testing(scenario.ctx());
    scenario.next_tx(PUBLISHER);
    // The cap lives inside the shared ProtectedTreasury only: nobody holds a TreasuryCap to mint.
    assert!(!scenario.has_most_recent_for_sender<sui::coin::TreasuryCap<WAL>>());
    assert!(!test_scenario::has_most_recent_shared<sui::coin::TreasuryCap<WAL>>());
    scenario.end();
}
