//! Request overhead: `create_token` through the SDK versus the same request
//! written by hand with reqwest, against a fixed-answer keep-alive server.
//!
//! `cargo bench -p cakemail-bench --bench overhead`
//! (`BENCH_REQUESTS=20000 BENCH_ROUNDS=7` by default.)
//!
//! The server runs on its own thread (current-thread runtime); the clients
//! run on the main thread (current-thread runtime), so each side has one of
//! the machine's 2 cores. Both clients share one `reqwest::Client` (same
//! configuration, same connection pool). Each round runs the SDK and the
//! hand-written call back to back, alternating which goes first, and the
//! ratio is taken per round, then the median of the rounds is reported.
//! Nothing is asserted about timings; the only checks are that both send the
//! same bytes and get a token.

use std::time::Instant;

use cakemail_bench::{
    FixedServer, env_usize, hand_create_token, http_client, sdk_client, sdk_create_token, summary,
    thread_cpu_time,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Sdk,
    Hand,
}

struct Run {
    rps: f64,
    cpu_us_per_request: f64,
}

/// `requests` calls spread over `concurrency` tasks on the current runtime.
async fn run(
    side: Side,
    concurrency: usize,
    requests: usize,
    sdk: &cakemail_sdk::Client,
    http: &reqwest::Client,
    url: &str,
) -> Run {
    let per_task = requests / concurrency;
    let cpu = thread_cpu_time();
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (sdk, http, url) = (sdk.clone(), http.clone(), url.to_owned());
            tokio::spawn(async move {
                for _ in 0..per_task {
                    let result = match side {
                        Side::Sdk => sdk_create_token(&sdk).await,
                        Side::Hand => hand_create_token(&http, &url).await,
                    };
                    std::hint::black_box(result.expect("token"));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = (thread_cpu_time() - cpu).as_secs_f64();
    let done = (per_task * concurrency) as f64;
    Run {
        rps: done / elapsed,
        cpu_us_per_request: cpu * 1e6 / done,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; this harness takes its settings from
    // the environment instead.
    let requests = env_usize("BENCH_REQUESTS", 20_000);
    let rounds = env_usize("BENCH_ROUNDS", 7);
    let server = FixedServer::start().expect("server starts");
    let url = server.url();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let http = http_client();
        let sdk = sdk_client(&url, http.clone());
        let seen = cakemail_bench::check_same_wire(&server, &sdk, &http)
            .await
            .expect("both clients send the same request");
        println!(
            "same request on the wire: {} headers={:?} body={} bytes",
            seen.target,
            seen.headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            seen.body.len()
        );
        // Warm up: open 64 connections, fault in code and allocator pages.
        for side in [Side::Sdk, Side::Hand] {
            run(side, 64, 4_096, &sdk, &http, &url).await;
        }
        println!(
            "requests per measurement: {requests}, rounds: {rounds}, client CPU = the client thread's CPU time"
        );
        println!(
            "{:>11} | {:>24} | {:>24} | {:>22} | {:>14} | {:>14}",
            "concurrency",
            "SDK req/s median [min-max]",
            "hand req/s median [min-max]",
            "ratio SDK/hand [min-max]",
            "SDK CPU µs/req",
            "hand CPU µs/req"
        );
        for concurrency in [1usize, 64] {
            let (mut sdk_rps, mut hand_rps, mut ratios) = (vec![], vec![], vec![]);
            let (mut sdk_cpu, mut hand_cpu) = (vec![], vec![]);
            for round in 0..rounds {
                let order = if round % 2 == 0 {
                    [Side::Sdk, Side::Hand]
                } else {
                    [Side::Hand, Side::Sdk]
                };
                let mut pair = [0.0f64; 2];
                for side in order {
                    let r = run(side, concurrency, requests, &sdk, &http, &url).await;
                    match side {
                        Side::Sdk => {
                            pair[0] = r.rps;
                            sdk_cpu.push(r.cpu_us_per_request);
                        }
                        Side::Hand => {
                            pair[1] = r.rps;
                            hand_cpu.push(r.cpu_us_per_request);
                        }
                    }
                }
                sdk_rps.push(pair[0]);
                hand_rps.push(pair[1]);
                ratios.push(pair[0] / pair[1]);
            }
            let (s, s_lo, s_hi) = summary(&mut sdk_rps);
            let (h, h_lo, h_hi) = summary(&mut hand_rps);
            let (q, q_lo, q_hi) = summary(&mut ratios);
            let (sc, ..) = summary(&mut sdk_cpu);
            let (hc, ..) = summary(&mut hand_cpu);
            println!(
                "{concurrency:>11} | {s:>8.0} [{s_lo:>6.0}-{s_hi:>6.0}] | {h:>9.0} [{h_lo:>6.0}-{h_hi:>6.0}] | {q:>6.3} [{q_lo:.3}-{q_hi:.3}] | {sc:>14.1} | {hc:>14.1}"
            );
        }
    });
}
