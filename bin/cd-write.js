#!/usr/bin/env node
import '../dist/cli/cd-write.js';
