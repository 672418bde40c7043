// --capacity SECTORS|SIZE and --media NAME, shared by cd-msinfo and cd-write.
import type minimist from 'minimist';
import { mediaCapacity, parseCapacity } from '../media/capacity.js';
import { lastValue, UsageError } from './common.js';

/** The capacity in sectors the user gave, or null. */
export function capacityOption(args: minimist.ParsedArgs): number | null {
  const cap = lastValue(args.capacity, 'capacity');
  const media = lastValue(args.media, 'media');
  if (cap !== undefined && media !== undefined) throw new UsageError('--capacity and --media exclude each other');
  try {
    if (cap !== undefined) return parseCapacity(cap);
    if (media !== undefined) return mediaCapacity(media);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return null;
}
