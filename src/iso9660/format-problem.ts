// The error the pure decoders of src/iso9660 throw; the image reader adds the place
// (session, LBA, path) when it turns one into an ImageError.

/** Something the pure decoders found wrong; the reader adds the place. */
export class FormatProblem extends Error {
  constructor(
    message: string,
    /** LBA the problem is at, when the decoder knows better than the caller. */
    readonly lba?: number,
  ) {
    super(message);
  }
}
