#!/usr/bin/env node
import '../dist/cli/iso-pack.js';
