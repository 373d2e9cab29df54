# flexilib in a container: built with the same set-up script the README uses; the
# runtime stage is plain debian:bookworm with no package installed, since the server
# needs only glibc. It runs as a non-root user with the release's tree (the example
# handlers and their proxy.ini), as the release tarball holds it.
FROM debian:bookworm AS build
WORKDIR /src
# The dependencies first, so that a change to the sources does not reinstall them.
COPY scripts/install-deps.sh scripts/
RUN ./scripts/install-deps.sh --server
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build build -j"$(nproc)" --target flexilib example_handlers \
 && cmake --install build --prefix /opt/flexilib --strip

FROM debian:bookworm
RUN useradd --system --no-create-home --shell /usr/sbin/nologin flexilib
COPY --from=build /opt/flexilib /opt/flexilib
WORKDIR /opt/flexilib
USER flexilib
# The server reads its settings from the environment; PORT is the one to publish.
ENV PORT=8069
EXPOSE 8069
CMD ["./flexilib"]
