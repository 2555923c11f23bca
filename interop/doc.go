// Package interop holds Peregrine's interoperability tests against independent
// implementations: quic-go v0.64.1 (QUIC and its http3 package) and webtransport-go
// v0.13.0. It is a separate module so that the root module never depends on another
// QUIC stack.
//
// The tests run on loopback with certificates generated for the run: our client against
// the peer's server and the peer's client against our server.
//
// # Limitations
//
//   - The quic-interop-runner endpoint image (Dockerfile and run_endpoint.sh) is not here
//     yet: this machine runs no Docker engine to build or test it.
package interop
