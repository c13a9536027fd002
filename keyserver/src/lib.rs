//! floe-keyserver: a Seal-style key server for floe's private blobs, and its client.
//!
//! A key server holds one IBE master key, registered on chain as a `floe_seal::key_server::
//! KeyServer` object ([`register_key_server`]). A user who wants the key for identity
//! `package ‖ id` sends ([`fetch_keys`]) a PTB of `seal_approve*` calls, a session certificate
//! signed once by their wallet, and a fresh ephemeral ElGamal key, all signed by the session
//! key. The server ([`KeyServer`]) checks the PTB's shape, the certificate and the signature,
//! rate-limits per user, refuses while its view of the chain is stale, simulates the PTB on the
//! chain as the user, and only if no call aborts returns each user key encrypted to the
//! ephemeral key. The client stops at `t` answers and checks every key with a pairing.
//!
//! The PTB check alone, as the server runs it:
//!
//! ```
//! use floe_keyserver::{PtbError, check_ptb};
//! use sui_sdk_types::{Address, Argument, Command, Identifier, Input, MoveCall, ProgrammableTransaction};
//!
//! let package = Address::from_static("0x5e");
//! let call = |function: &'static str| Command::MoveCall(MoveCall {
//!     package,
//!     module: Identifier::from_static("owner_policy"),
//!     function: Identifier::from_static(function),
//!     type_arguments: vec![],
//!     arguments: vec![Argument::Input(0)],
//! });
//! let id = bcs::to_bytes(&b"inner id".to_vec()).unwrap();
//! let ptb = ProgrammableTransaction { inputs: vec![Input::Pure(id)], commands: vec![call("seal_approve")] };
//! let request = check_ptb(&ptb).unwrap();
//! assert_eq!((request.package, request.ids), (package, vec![b"inner id".to_vec()]));
//!
//! // Anything but seal_approve* is refused before the chain is asked.
//! let sneaky = ProgrammableTransaction { commands: vec![call("transfer")], ..ptb };
//! assert!(matches!(check_ptb(&sneaky), Err(PtbError::NotApproval { .. })));
//! ```
//!
//! HTTP API: `GET /v1/service`, `POST /v1/fetch_key`, `GET /health`, in Seal's wire shape (bodies,
//! headers and error names in [`api`]), so Seal's own SDK talks to it as to Seal's servers;
//! refusals are JSON `{error, message}` with 400, 403, 413, 426, 429 or 503. A server is open (one
//! key, every package) or permissioned (a key per client derived from one seed, for listed
//! packages only; [`mode`]).

pub mod access;
pub mod api;
mod client;
mod error;
mod freshness;
pub mod limits;
pub mod mode;
mod policy;
pub mod private_blob;
mod ptb;
mod rate_limit;
mod registration;
mod server;

pub use client::{FetchError, FetchedKeys, KeyServerInfo, ServerFailure, ServerProblem, fetch_and_decrypt, fetch_keys};
pub use error::{ChainProblem, RequestError};
pub use mode::{PermissionedClient, ServedKey, ServerMode};
pub use ptb::{APPROVE_PREFIX, KeyRequestPtb, PtbError, check_ptb};
pub use registration::{RegistrationError, register_key_server};
pub use server::{KeyServer, KeyServerConfig, check_fetch_key_body};
