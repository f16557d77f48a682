#!/usr/bin/env -S node --max-old-space-size=256
// The heap cap keeps the server's memory flat whatever the backlog (records live on disk, not in memory); V8
// would otherwise let garbage from busy intake grow the heap to several hundred MB before collecting it.
// Entry point of the `qiao` command: runs the TypeScript CLI through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
