#!/usr/bin/env node
import '../dist/cli/cd-verify.js';
