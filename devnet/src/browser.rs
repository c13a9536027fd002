//! Browser access. Mysten's TypeScript SDK (`SuiGrpcClient`) speaks gRPC-web by default: unary and
//! server-streaming calls as plain HTTP/1.1 POSTs with content type `application/grpc-web+proto`
//! (or the base64 `application/grpc-web-text`), the trailers (`grpc-status`, `grpc-message`)
//! framed into the body. The devnet answers gRPC-web and native gRPC (HTTP/2) on the same port:
//! tonic-web translates gRPC-web requests and passes native ones through untouched.
//!
//! A dApp served from another origin (its dev server) needs CORS: the devnet allows any origin,
//! method and request header (the SDK sends `x-sui-client-protocol-version`, `x-grpc-web`, ...),
//! answers `OPTIONS` preflights itself, and exposes the gRPC status headers and Sui's `x-sui-*`
//! headers, which a browser would otherwise hide from the page's script.

use std::time::Duration;

use tonic::codegen::http::HeaderName;
use tonic::transport::server::Server;
use tower::layer::util::{Identity, Stack};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};

/// Response headers a gRPC-web client reads.
const EXPOSED_HEADERS: &[&str] = &[
    "grpc-status",
    "grpc-message",
    "grpc-status-details-bin",
    "x-sui-chain-id",
    "x-sui-chain",
    "x-sui-epoch",
    "x-sui-checkpoint-height",
    "x-sui-timestamp-ms",
    "x-sui-timestamp",
    "x-sui-lowest-available-checkpoint",
    "x-sui-lowest-available-checkpoint-objects",
];

/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// CORS for any origin: the devnet is a local development chain with no credentials to protect.
pub(crate) fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods(AllowMethods::any())
        .allow_headers(AllowHeaders::any())
        .expose_headers(EXPOSED_HEADERS.iter().map(|h| HeaderName::from_static(h)).collect::<Vec<_>>())
        .max_age(PREFLIGHT_MAX_AGE)
}

/// A tonic server builder that also accepts HTTP/1.1, behind CORS.
pub(crate) fn server() -> Server<Stack<CorsLayer, Identity>> {
    Server::builder().accept_http1(true).layer(cors())
}

/// The gRPC services' routes answering gRPC-web too. Only gRPC and gRPC-web requests get through
/// (tonic-web answers any other HTTP/1.1 request 400), so plain HTTP routes such as the admin
/// route are served beside this, not behind it.
pub(crate) fn grpc_web(grpc: axum::Router) -> tonic_web::GrpcWebService<axum::Router> {
    tower::Layer::layer(&tonic_web::GrpcWebLayer::new(), grpc)
}
