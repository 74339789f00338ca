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

# Benchmarks that print figures: .c1z writing, a full sync of the simulator, and 200 tenants served at once.
bench:
    cargo bench -p c1z --bench write_grants
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
