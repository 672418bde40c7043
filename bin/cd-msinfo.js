#!/usr/bin/env node
import '../dist/cli/cd-msinfo.js';
