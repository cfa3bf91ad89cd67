"""The compose end-to-end tests run in `make test`, which installs podman, runc, mmdebstrap and
docker-compose and builds the images first (deploy/images/build.sh). A missing engine, compose
client or image fails the tests (test_compose_e2e.py's fixtures), it never skips them."""
