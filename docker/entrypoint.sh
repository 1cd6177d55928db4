#!/bin/sh
# Entry point of both images: take ownership of the folders the job writes, then run the job as
# the app user (uid 10001), never as root.
#
# SageMaker starts the container as the image's user and mounts /opt/ml/model, /opt/ml/output and
# /opt/ml/processing/<output> at run time, owned by root, so a non-root image cannot write them
# (https://github.com/aws/sagemaker-python-sdk/issues/4764). The image therefore starts as root;
# this script creates and chowns the folders named in MLP_WRITABLE_DIRS (relative to the
# container root) and drops to uid 10001 with setpriv (util-linux, in the Debian base image).
# Started as a non-root user (where the platform controls the environment), it runs the job as is.
set -eu

APP_UID=10001
APP_GID=10001
ROOT="${MLP_SAGEMAKER_ROOT:-/opt/ml}"

if [ "$#" -eq 0 ]; then
    echo "entrypoint: no command given (expected ml-training or ml-inference)" >&2
    exit 64
fi

if [ "$(id -u)" != "0" ]; then
    exec "$@"
fi

for dir in ${MLP_WRITABLE_DIRS:-}; do
    mkdir -p "$ROOT/$dir"
    chown -R "$APP_UID:$APP_GID" "$ROOT/$dir"
done

exec setpriv --reuid="$APP_UID" --regid="$APP_GID" --clear-groups --inh-caps=-all \
    env HOME=/home/app "$@"
