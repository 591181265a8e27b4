import { statSync } from 'node:fs';
import { CommandError, parseCommandArgs, UsageError } from '../../cli/args.js';
import type { CLIStreams } from '../../cli/streams.js';
import { checkRangeFolder } from './folder-check.js';
import { RANGE_COUNT } from './sha1-range.js';

/**
 * `check-breached-passwords <dir>`: exit 0 when the folder holds every range file, 1 naming the
 * first missing prefixes and badly named entries otherwise (docs/breached-passwords.md). A folder
 * with gaps still works — a missing prefix is logged and its passwords pass unchecked — so an
 * operator runs this after each download.
 */
export async function checkBreachedPasswordsCommand(argv: string[], io: CLIStreams): Promise<void> {
  const [folder, ...extra] = parseCommandArgs(argv, {}).positionals;
  if (!folder || extra.length > 0) throw new UsageError('check-breached-passwords takes one folder');
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new CommandError(`${folder} is not a folder`);
  const report = await checkRangeFolder(folder);
  const problems: string[] = [];
  if (report.missingCount > 0) {
    problems.push(
      `${report.missingCount} of ${RANGE_COUNT} range files missing (first: ${report.missing.join(', ')}${report.missingCount > report.missing.length ? ', …' : ''})`,
    );
  }
  if (report.malformedCount > 0) {
    problems.push(
      `${report.malformedCount} entries not named <PREFIX>.txt in upper-case hex (first: ${report.malformed.join(', ')}${report.malformedCount > report.malformed.length ? ', …' : ''})`,
    );
  }
  if (problems.length > 0) throw new CommandError(`${folder} is incomplete: ${problems.join('; ')}`);
  io.stdout.write(`${folder} is complete: ${RANGE_COUNT} range files\n`);
}
