//! Token read path and single-flight refresh (criterion).
//!
//! `cargo bench -p cakemail-bench --bench token`
//!
//! - `cached/1_thread`: `access_token()` on a manager holding a token valid
//!   for an hour (a std `RwLock` read, an expiry check, a `String` clone).
//! - `cached/2_threads`: the same call from 2 OS threads at once; the time is
//!   per call on each thread (wall time of `iters` calls on both).
//! - `expiry/1000_callers`: a fresh client whose stored token has expired
//!   (refresh token valid), 1,000 tasks calling `access_token()`; the time
//!   runs from the first spawn until every task holds the refreshed token,
//!   against cakemail-mock on 127.0.0.1:0. Exactly one /token request is
//!   checked (a correctness check, not a timing one).
//! - `expiry/1000_callers_valid`: the same with a valid token: the cost of
//!   spawning and joining 1,000 tasks, to subtract from the above.

use std::hint::black_box;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use cakemail_bench::{PASSWORD, USER, store_with};
use cakemail_mock::{MockServer, User};
use cakemail_sdk::Client;
use cakemail_sdk::auth::{Credentials, TokenManager};
use criterion::{Criterion, criterion_group, criterion_main};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A manager holding a token valid for an hour; its base URL is never called.
fn cached_manager(rt: &tokio::runtime::Runtime) -> TokenManager {
    let _guard = rt.enter();
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .credentials(Credentials::password(USER, PASSWORD))
        .token_store(store_with(
            "cmk_at_000001_4f1c2a9b8e7d6c5b4a39281706f5e4d3",
            "cmk_rt_000001_9a8b7c6d5e4f30211f2e3d4c5b6a7988",
            3600,
        ))
        .build()
        .expect("client");
    client.auth().expect("credentials given").clone()
}

/// Polls a future that is expected to be ready at once (the cached path
/// never waits), without a runtime: the threads then measure the manager
/// alone.
fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn cached(c: &mut Criterion) {
    let rt = runtime();
    let auth = cached_manager(&rt);
    let requests_before = auth.token_requests();
    let mut group = c.benchmark_group("cached");
    group.bench_function("1_thread", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(auth.access_token().await.expect("cached token"));
        })
    });
    group.bench_function("2_threads", |b| {
        b.iter_custom(|iters| {
            let barrier = std::sync::Barrier::new(2);
            let times: Vec<Duration> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..2)
                    .map(|_| {
                        let (auth, barrier) = (&auth, &barrier);
                        s.spawn(move || {
                            // Start together so the calls really overlap.
                            barrier.wait();
                            let start = Instant::now();
                            for _ in 0..iters {
                                black_box(ready(auth.access_token()).expect("cached token"));
                            }
                            start.elapsed()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("thread"))
                    .collect()
            });
            times.into_iter().max().unwrap_or_default()
        })
    });
    group.finish();
    assert_eq!(
        auth.token_requests(),
        requests_before,
        "the cached path must not call /token"
    );
}

fn expiry(c: &mut Criterion) {
    const CALLERS: usize = 1000;
    let rt = runtime();
    let server = Arc::new(
        rt.block_on(
            MockServer::builder()
                .user(User::new(USER, PASSWORD).accounts([1, 2]))
                .start(),
        )
        .expect("mock server"),
    );
    let mut group = c.benchmark_group("expiry");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(10));
    for (name, lifetime) in [("1000_callers", -60), ("1000_callers_valid", 3600)] {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let server = server.clone();
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        // Fresh client and tokens per iteration (refresh tokens rotate).
                        let issued = server.issue_tokens(USER).expect("user");
                        let client = Client::builder()
                            .base_url(server.url())
                            .credentials(Credentials::password(USER, PASSWORD))
                            .token_store(store_with(
                                &issued.access_token,
                                &issued.refresh_token,
                                lifetime,
                            ))
                            .max_retries(0)
                            .build()
                            .expect("client");
                        let auth = client.auth().expect("credentials given").clone();
                        let start = Instant::now();
                        let tasks: Vec<_> = (0..CALLERS)
                            .map(|_| {
                                let auth = auth.clone();
                                tokio::spawn(async move { auth.access_token().await })
                            })
                            .collect();
                        for task in tasks {
                            black_box(task.await.expect("task").expect("token"));
                        }
                        total += start.elapsed();
                        let expected = u64::from(lifetime < 0);
                        assert_eq!(auth.token_requests(), expected, "single flight");
                    }
                    total
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, cached, expiry);
criterion_main!(benches);
