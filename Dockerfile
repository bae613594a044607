# Build stage: compile a release binary. SQLite and libpq are built from source by their
# crates; OpenSSL is the system's (the Rust image has its headers and pkg-config).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# Build settings: SQLite with the query planner stability guarantee.
COPY .cargo .cargo
# Link settings: packed relocations where the glibc has them.
COPY build.rs build.rs
COPY src src
COPY migrations migrations
COPY benches benches
RUN cargo build --release --locked

# Run stage: the binary alone, as an unprivileged user, data in a volume.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /data --shell /usr/sbin/nologin guild \
    && mkdir -p /data && chown guild /data
COPY --from=build /src/target/release/guild /usr/local/bin/guild
USER guild
WORKDIR /data
ENV GUILD_BIND=0.0.0.0:8080 \
    GUILD_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/guild"]
CMD ["serve"]
