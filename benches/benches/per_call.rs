//! Allocations and CPU per `create_token` call, SDK versus hand-written.
//!
//! `cargo bench -p cakemail-bench --bench per_call`
//!
//! A counting global allocator counts only on the client thread (the main
//! thread, running a current-thread runtime, so reqwest's connection tasks are
//! counted too); the fixed server runs on another thread and is not counted.
//! Calls are sequential on one warm keep-alive connection.
//!
//! Besides whole calls it counts the pieces the SDK adds, in isolation:
//! parsing the response into the generated untagged `CreateTokenResponse`
//! versus the hand-written struct, and the runtime's JSON syntax check.
//!
//! For callgrind (instructions per call), `per_call sdk N` or `per_call hand N`
//! runs N calls after a fixed warm-up and prints nothing else; see
//! `benches/callgrind.sh`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use cakemail_bench::{
    FixedServer, HandToken, TOKEN_JSON, env_usize, hand_create_token, http_client, sdk_client,
    sdk_create_token, summary, thread_cpu_time,
};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // Const-initialised and without a destructor: safe to read from inside
    // the allocator, even while a thread is being torn down.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters are only observed.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size() as u64, Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size() as u64, Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counting() {
            REALLOCS.fetch_add(1, Relaxed);
            // Only growth is new memory asked for.
            BYTES.fetch_add(new_size.saturating_sub(layout.size()) as u64, Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Default, Clone, Copy)]
struct Counts {
    allocs: u64,
    reallocs: u64,
    bytes: u64,
}

fn snapshot() -> Counts {
    Counts {
        allocs: ALLOCS.load(Relaxed),
        reallocs: REALLOCS.load(Relaxed),
        bytes: BYTES.load(Relaxed),
    }
}

/// Runs `f` with counting on for this thread; returns the counts per call.
fn per_call<F: FnMut()>(calls: usize, mut f: F) -> (f64, f64, f64) {
    let before = snapshot();
    COUNTING.with(|c| c.set(true));
    for _ in 0..calls {
        f();
    }
    COUNTING.with(|c| c.set(false));
    let after = snapshot();
    let n = calls as f64;
    (
        (after.allocs - before.allocs) as f64 / n,
        (after.reallocs - before.reallocs) as f64 / n,
        (after.bytes - before.bytes) as f64 / n,
    )
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let server = FixedServer::start().expect("server starts");
    let url = server.url();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let http = http_client();
    let sdk = {
        let _guard = rt.enter();
        sdk_client(&url, http.clone())
    };
    let sdk_call = || {
        black_box(rt.block_on(sdk_create_token(&sdk)).expect("token"));
    };
    let hand_call = || {
        black_box(rt.block_on(hand_create_token(&http, &url)).expect("token"));
    };

    // Callgrind mode: warm-up, then N calls of one kind, nothing printed.
    if let [mode, n] = args.as_slice() {
        let n: usize = n.parse().expect("N is a number");
        let call: &dyn Fn() = match mode.as_str() {
            "sdk" => &sdk_call,
            "hand" => &hand_call,
            other => panic!("unknown mode {other}: sdk or hand"),
        };
        for _ in 0..50 {
            call();
        }
        for _ in 0..n {
            call();
        }
        return;
    }

    rt.block_on(cakemail_bench::check_same_wire(&server, &sdk, &http))
        .expect("both clients send the same request");
    let calls = env_usize("BENCH_CALLS", 5_000);
    let rounds = env_usize("BENCH_ROUNDS", 5);
    for _ in 0..500 {
        sdk_call();
        hand_call();
    }

    println!(
        "calls per measurement: {calls}, rounds: {rounds}; figures are per call (median of rounds)"
    );
    println!(
        "{:<44} | {:>7} | {:>8} | {:>8} | {:>22}",
        "what", "allocs", "reallocs", "bytes", "CPU µs median [min-max]"
    );
    let measure = |name: &str, f: &dyn Fn()| {
        let mut counts = vec![];
        let mut cpu = vec![];
        for _ in 0..rounds {
            let t = thread_cpu_time();
            counts.push(per_call(calls, f));
            cpu.push((thread_cpu_time() - t).as_secs_f64() * 1e6 / calls as f64);
        }
        let (c, c_lo, c_hi) = summary(&mut cpu);
        // Allocation counts are deterministic up to pool bookkeeping: take the median round.
        let mut allocs: Vec<f64> = counts.iter().map(|c| c.0).collect();
        let mut reallocs: Vec<f64> = counts.iter().map(|c| c.1).collect();
        let mut bytes: Vec<f64> = counts.iter().map(|c| c.2).collect();
        println!(
            "{name:<44} | {:>7.1} | {:>8.1} | {:>8.0} | {c:>8.2} [{c_lo:.2}-{c_hi:.2}]",
            summary(&mut allocs).0,
            summary(&mut reallocs).0,
            summary(&mut bytes).0,
        );
    };
    measure("create_token via SDK", &sdk_call);
    measure("create_token by hand (reqwest)", &hand_call);

    // The pieces, without I/O.
    let body = TOKEN_JSON.as_bytes();
    measure("parse into generated CreateTokenResponse", &|| {
        black_box(
            serde_json::from_slice::<cakemail_sdk::types::CreateTokenResponse>(black_box(body))
                .expect("parses"),
        );
    });
    measure("parse into hand-written HandToken", &|| {
        black_box(serde_json::from_slice::<HandToken>(black_box(body)).expect("parses"));
    });
    measure("runtime's JSON syntax check (IgnoredAny)", &|| {
        black_box(
            serde_json::from_slice::<serde::de::IgnoredAny>(black_box(body)).expect("parses"),
        );
    });
}
