# Everyday recipes. The README's two commands are plain cargo and work without just.

# Build the host (and, through its build script, the embedded Bitbucket component).
build:
    cargo build --release

# Run every test: sandbox, sync engine, c1z, simulator, end to end, and the component's own.
test:
    cargo test --workspace
    cargo test --manifest-path guest/Cargo.toml

# Sync the bundled Bitbucket simulator into demo.c1z.
demo scale="small":
    cargo run --release -- demo --scale {{scale}}

# Benchmarks that print figures (BENCHMARKS.md): syncs at three scales with 30 ms latency,
# start-up, instantiation, wasm versus native CPU, then .c1z writing; leaves a large demo file
# for `just bench-explore`; then 200 tenants served at once.
bench:
    mkdir -p target
    NATIVE_BENCH_OUT={{justfile_directory()}}/target/bench-native.txt cargo bench --manifest-path guest/Cargo.toml -p bitbucket-connector --bench native_sync
    NATIVE_BENCH_OUT={{justfile_directory()}}/target/bench-native.txt cargo bench -p connector-host --bench sync_figures
    cargo bench -p c1z --bench write_grants
    RATE_BENCH_WINDOW_SECONDS=20 cargo test -p connector-tests --test rate_budget -- --nocapture
    cargo run --release -- demo --scale large --output target/bench-large.c1z
    cargo bench -p connector-tests --bench serve_tenants

# Explorer page times on the large simulator (reuses target/bench-large.c1z from `just bench`).
bench-explore:
    EXPLORE_BENCH_FILE={{justfile_directory()}}/target/bench-large.c1z cargo bench -p connector-host --bench explore_pages

# Formatting and lints, host and guests.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cd guest && cargo fmt --check && cargo clippy --target wasm32-wasip2 -- -D warnings && cargo clippy --all-targets -- -D warnings
    cd tests/guests && cargo fmt --all --check && cargo clippy --target wasm32-wasip2 --workspace -- -D warnings
