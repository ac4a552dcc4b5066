#!/usr/bin/env node
// Entry point of the published `tracemark` binary (tsup builds it to dist/cli.js).
import './cli/main.js'
