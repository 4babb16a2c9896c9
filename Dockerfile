# syntax=docker/dockerfile:1
# The promote image: the `promote` CLI (and agent) built from this tree on Debian bookworm, run as
# a non-root user from a slim runtime stage that holds only the shared libraries it links.
#   docker build -t promote .
#   docker run --rm promote --version
#   docker run --rm -v "$PWD:/work" -w /work promote -o json run --config promote.yaml --to stage --sha 2b2e927
# Both stages use the same Debian snapshot, DEBIAN_IMAGE. The release workflow pins it by digest:
# it resolves this tag with promote and builds with --build-arg
# DEBIAN_IMAGE=debian:bookworm-20261110-slim@sha256:<digest>, recording the digest in the release.
# Do the same for a reproducible build of your own.
ARG DEBIAN_IMAGE=debian:bookworm-20261110-slim

FROM ${DEBIAN_IMAGE} AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
# The build packages are the ones scripts/lib.sh lists for every other build of promote.
COPY scripts/lib.sh scripts/lib.sh
RUN source scripts/lib.sh \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PROMOTE_BUILD_PACKAGES[@]}" \
 && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt ./
COPY cmake cmake
COPY agent agent
COPY proto proto
# The context has no .git: `promote --version` reports the commit given here (scripts/release and
# the release workflow pass it), and SOURCE_DATE_EPOCH as the build date when set.
ARG PROMOTE_GIT_COMMIT=""
ARG SOURCE_DATE_EPOCH
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPROMOTE_BUILD_TESTS=OFF \
      -DPROMOTE_GIT_COMMIT="${PROMOTE_GIT_COMMIT}" \
 && cmake --build build --target promote -j "$(nproc)" \
 && install -D -m 0755 -s build/agent/cli/promote /out/promote \
 && /out/promote --version

FROM ${DEBIAN_IMAGE} AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates tzdata libcurl4 libssl3 libsodium23 libspdlog1.10 libfmt9 libyaml-cpp0.7 \
      libgrpc++1.51 libgrpc29 libprotobuf32 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libcivetweb1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 promote \
 && useradd --system --uid 10001 --gid promote --home-dir /home/promote --create-home --shell /usr/sbin/nologin promote
COPY --from=builder /out/promote /usr/local/bin/promote
LABEL org.opencontainers.image.title="promote" \
      org.opencontainers.image.description="Promote container images between registries by digest, following Git-flow"
USER 10001:10001
WORKDIR /home/promote
ENTRYPOINT ["promote"]
CMD ["--help"]
