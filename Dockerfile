# flexilib in a container: built with the same set-up script as the README, run as a
# non-root user with the example handlers and proxy.ini.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN ./scripts/install-deps.sh
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build build -j"$(nproc)" --target flexilib example_handlers \
 && strip build/flexilib

FROM debian:bookworm
COPY scripts/install-deps.sh /tmp/
RUN /tmp/install-deps.sh --runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
 && useradd --system --no-create-home --shell /usr/sbin/nologin flexilib
WORKDIR /app
# proxy.ini names the handlers by their build paths: keep them.
COPY --from=build /src/build/flexilib ./flexilib
COPY --from=build /src/build/executors/*.so ./build/executors/
COPY proxy.ini ./
USER flexilib
ENV PORT=8069
EXPOSE 8069
CMD ["./flexilib"]
