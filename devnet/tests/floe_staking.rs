//! floe's staking natives on a running devnet: stake and withdrawal across epochs, rewards and
//! commission, committee selection, the epoch-change state machine and its timing, sync
//! reports, proofs of possession and the devnet's own epoch schedule. Each scenario has a twin
//! Move unit test of the same name in `move/floe/tests/` (listed in `move/README.md`).

mod staking;
