// cdrecord/wodim options a user types by habit, and cd-write's deliberate answer to each
// (issue #12 item 2): accepted as a no-op where isopipe already behaves that way on image
// files and block devices, or refused with what to do instead — never taken as a file
// name. man/cd-write.1 has the same table.

export interface HabitAnswer {
  answer: 'no-op' | 'refused';
  /** For a no-op: why it changes nothing; for a refusal: what to do instead. */
  why: string;
}

/** Keys: `-word` for flags (also `--word`), `name=` for valued options. */
export const CDRECORD_OPTIONS: Readonly<Record<string, HabitAnswer>> = {
  '-dao': { answer: 'no-op', why: 'write modes mean nothing on an image file or block device' },
  '-sao': { answer: 'no-op', why: 'write modes mean nothing on an image file or block device' },
  '-tao': { answer: 'no-op', why: 'write modes mean nothing on an image file or block device' },
  '-raw': { answer: 'no-op', why: 'write modes mean nothing on an image file or block device' },
  '-raw96r': { answer: 'no-op', why: 'write modes mean nothing on an image file or block device' },
  '-raw96p': { answer: 'no-op', why: 'write modes mean nothing on an image file or block device' },
  '-raw16': { answer: 'no-op', why: 'write modes mean nothing on an image file or block device' },
  '-data': { answer: 'no-op', why: 'every session isopipe writes is data' },
  '-xa': { answer: 'no-op', why: 'sector formats mean nothing on an image file or block device' },
  '-xa1': { answer: 'no-op', why: 'sector formats mean nothing on an image file or block device' },
  '-pad': { answer: 'no-op', why: 'sessions are always padded to 32 sectors' },
  '-nopad': { answer: 'no-op', why: 'sessions are always padded to 32 sectors' },
  '-immed': { answer: 'no-op', why: 'no drive commands on an image file or block device' },
  '-waiti': { answer: 'no-op', why: 'cd-write reads the session as it arrives anyway' },
  '-nofix': { answer: 'refused', why: 'use -multi to keep the medium appendable' },
  '-audio': { answer: 'refused', why: 'isopipe writes ISO 9660 data sessions only' },
  '-mode2': { answer: 'refused', why: 'isopipe writes ISO 9660 data sessions (mode 1) only' },
  '-xa2': { answer: 'refused', why: 'isopipe writes ISO 9660 data sessions (form 1) only' },
  '-cdi': { answer: 'refused', why: 'isopipe writes ISO 9660 data sessions only' },
  '-scanbus': { answer: 'refused', why: 'use cd-msinfo --scan' },
  '-msinfo': { answer: 'refused', why: 'use cd-msinfo' },
  '-toc': { answer: 'refused', why: 'use cd-msinfo --toc' },
  '-atip': { answer: 'refused', why: 'use cd-msinfo --toc' },
  '-checkdrive': { answer: 'refused', why: 'use cd-msinfo --toc' },
  '-inq': { answer: 'refused', why: 'use cd-msinfo --toc' },
  '-prcap': { answer: 'refused', why: 'use cd-msinfo --toc' },
  '-load': { answer: 'refused', why: 'no tray on an image file or block device' },
  '-lock': { answer: 'refused', why: 'no tray on an image file or block device' },
  '-useinfo': { answer: 'refused', why: 'isopipe writes ISO 9660 data sessions only' },
  'fs=': { answer: 'no-op', why: 'cd-write writes each piece as it arrives; there is no FIFO to size' },
  'driveropts=': { answer: 'no-op', why: 'driver options (burnfree…) mean nothing on an image file or block device' },
  'gracetime=': { answer: 'no-op', why: 'cd-write never waits before writing' },
  'minbuf=': { answer: 'no-op', why: 'there is no drive buffer to fill' },
  'timeout=': { answer: 'no-op', why: 'no drive commands on an image file or block device' },
  'debug=': { answer: 'no-op', why: 'use -v' },
  'kdebug=': { answer: 'no-op', why: 'use -v' },
  'textfile=': { answer: 'refused', why: 'CD-Text is for audio discs' },
  'cuefile=': { answer: 'refused', why: 'isopipe writes ISO 9660 data sessions only' },
  'tsize=': { answer: 'refused', why: 'cd-write finds the session size itself; use --capacity or --media for the medium' },
};

/** Why a word is in the table, or null: `-eject`/`--eject`, `fs=16m`. */
export function cdrecordHabit(word: string): { key: string; answer: HabitAnswer } | null {
  const eq = /^([a-z]+)=/.exec(word);
  if (eq) {
    const key = `${eq[1]}=`;
    return CDRECORD_OPTIONS[key] ? { key, answer: CDRECORD_OPTIONS[key] } : null;
  }
  const flag = /^--?([a-z][a-z0-9]*)$/.exec(word);
  if (flag) {
    const key = `-${flag[1]}`;
    return CDRECORD_OPTIONS[key] ? { key, answer: CDRECORD_OPTIONS[key] } : null;
  }
  return null;
}

/**
 * Takes the table's words out of argv (up to `--`): no-ops are dropped and returned for a
 * -v note, a refused one throws `refuse(message)`.
 */
export function takeCdrecordHabits(argv: string[], refuse: (message: string) => Error): { argv: string[]; noOps: string[] } {
  const out: string[] = [];
  const noOps: string[] = [];
  let rest = false;
  for (const a of argv) {
    if (rest || a === '--') {
      rest = true;
      out.push(a);
      continue;
    }
    const h = cdrecordHabit(a);
    if (!h) out.push(a);
    else if (h.answer.answer === 'refused') throw refuse(`${a}: not supported: ${h.answer.why}`);
    else noOps.push(`${a} has no effect: ${h.answer.why}`);
  }
  return { argv: out, noOps };
}
