// cd-verify's problem policy for the directory walker: every problem becomes a finding,
// worded for cd-verify's reader, and the walk goes on.
import type { ProblemPolicy, WalkProblem } from '../image/directory-walker.js';
import { SECTOR } from '../iso9660/constants.js';
import type { FindingKind } from './findings.js';
import type { FindingPlace, SessionContext } from './session-context.js';

/** `onIncomplete`: a directory's records were not all read (a sector's rest skipped). */
export function walkFindings(ctx: SessionContext, onIncomplete: () => void): ProblemPolicy {
  return (p) => {
    if (p.code === 'bad-record') onIncomplete();
    const [kind, message, where] = finding(ctx, p);
    ctx.find(kind, message, where ?? { lba: p.lba, path: p.path });
  };
}

function finding(ctx: SessionContext, p: WalkProblem): [FindingKind, string, FindingPlace?] {
  const j = 'joliet' in p && p.joliet ? 'Joliet ' : '';
  const dir = j ? 'Joliet directory' : 'directory';
  switch (p.code) {
    case 'loop':
      return ['directory', `directory at LBA ${p.lba} is reached a second time (a loop or a shared directory)`];
    case 'too-deep':
      return ['directory', `directories nested deeper than ${p.limit} levels`];
    case 'directory-budget':
      return ['directory', 'the directories add up to more sectors than the medium holds: overlapping or repeated directories; the walk stops'];
    case 'directory-size':
      return ['directory', `${dir} size ${p.size} is not a whole, non-zero number of sectors`];
    case 'directory-outside-session':
      return ['extent', `${dir} ${p.lba}+${p.sectors} sectors lies outside the session (LBA ${ctx.session.start}–${ctx.end - 1})`];
    case 'directory-past-medium':
      return ['extent', `${dir} ${p.lba}+${Math.ceil(p.size / SECTOR)} sectors runs past the end of the medium (${p.mediumSectors} sectors)`];
    case 'bad-record':
      return ['directory', `${p.message}; rest of the sector skipped`];
    case 'sector-tail':
      return ['directory', `non-zero byte at offset ${p.offset} after the last record of the sector`];
    case 'multi-extent-unfinished':
      return ['directory', `${j}multi-extent file ends without its final section`];
    case 'multi-extent-section':
      return ['extent', `${j}non-final section of a multi-extent file is not whole sectors`];
    case 'multi-extent-directory':
      return ['directory', `${j}directory record flagged multi-extent`, { lba: p.lba, path: p.childPath }];
    case 'system-use':
      return ['rock-ridge', p.message];
    case 'continuation-chain':
      return ['rock-ridge', `more than ${p.limit} chained continuation areas`];
    case 'continuation-crosses':
      return ['rock-ridge', `continuation area ${p.lba}:${p.offset}+${p.length} crosses the end of its sector`];
    case 'continuation-past-medium':
      return ['rock-ridge', `continuation area at LBA ${p.lba} lies past the end of the medium`];
    case 'continuation-outside-session':
      return ['extent', `continuation area at LBA ${p.lba} lies past the end of the session`];
    case 'invalid-name':
      return [p.rockRidge ? 'rock-ridge' : 'directory', `invalid name ${JSON.stringify(p.name)}`, { lba: p.lba, path: p.dirPath }];
    case 'duplicate-name':
      return ['directory', `${j}two entries are named ${JSON.stringify(p.name)}`];
    case 'relocation-outside':
      return ['rock-ridge', `CL points at LBA ${p.lba}, outside the session`, { lba: p.recordLba, path: p.path }];
    case 'relocation-not-directory':
      return ['rock-ridge', `CL points at LBA ${p.lba}, which does not hold a directory`, { lba: p.recordLba, path: p.path }];
  }
}
