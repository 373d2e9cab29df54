# flexilib in a container: built with the same set-up script the README uses, run as
# a non-root user with the example handlers and the example proxy.ini.
FROM debian:bookworm AS build
WORKDIR /src
# The dependencies first, so that a change to the sources does not reinstall them.
COPY scripts/install-deps.sh scripts/
RUN ./scripts/install-deps.sh
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build build -j"$(nproc)" --target flexilib example_handlers \
 && strip build/flexilib

FROM debian:bookworm
COPY scripts/install-deps.sh /tmp/
RUN /tmp/install-deps.sh --runtime \
 && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
 && useradd --system --no-create-home --shell /usr/sbin/nologin flexilib
WORKDIR /app
# proxy.ini names the handlers by their paths in the build tree: keep those paths.
COPY --from=build /src/build/flexilib ./flexilib
COPY --from=build /src/build/executors/*.so ./build/executors/
COPY proxy.ini ./
USER flexilib
# The server reads its settings from the environment; PORT is the one to publish.
ENV PORT=8069
EXPOSE 8069
CMD ["./flexilib"]
