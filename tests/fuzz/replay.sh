#!/bin/sh
# Replay the fuzz seed corpus through the frame decoder (make check runs this).
exec "${BERTH_BUILDDIR:-.}/tests/fuzz/fuzz_replay" "${BERTH_SRCDIR:-.}"/tests/fuzz/corpus/*
