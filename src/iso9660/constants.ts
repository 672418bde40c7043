export const SECTOR = 2048;
/** Sectors S … S+31 of a session: system area, descriptors, zeros (DESIGN §3). */
export const HEAD_SECTORS = 32;
/** Largest section of a multi-extent file: whole sectors, below 4 GiB (as libisofs). */
export const MAX_SECTION_BYTES = 0xfffff800;
/** Largest directory record (LEN_DR is 8 bits and must be even). */
export const MAX_RECORD = 254;
