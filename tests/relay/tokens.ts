import { randomBytes } from 'node:crypto';

// Ids shaped like the seed's, fresh per job so tests can tell jobs (and remixes) apart.
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet.charAt(b % alphabet.length);
  return out;
}

/** e.g. task_01k7e5w9z5f2d91pekrqy59rwc */
export const newTaskId = (): string => `task_01${randomFrom(CROCKFORD, 24)}`;
/** e.g. s_68eca3f141808191b1fd30fea1b731bd */
export const newSid = (): string => `s_${randomBytes(16).toString('hex')}`;
/** e.g. chatcmpl-89C77NMqv7oh6ajWBZful0xBNsJN1 */
export const newChatId = (): string => `chatcmpl-${randomFrom(ALNUM, 29)}`;

/** The last sid in a text: an assistant report ends with the sid of the video it made. */
export function lastSid(text: string): string | undefined {
  const all = text.match(/\bs_[0-9a-zA-Z]{8,}\b/g);
  return all?.[all.length - 1];
}

// A tiny stand-in for a BPE vocabulary, taken from the seed's own pieces: "祥云" comes as one
// piece, and so do a few hex letter pairs/triples of its sid ("ec", "acc", "aaa"…), while other
// letters come one by one. With it the seed's own request reproduces the fixture event for event.
const WORDS = ['祥云'];
const ID_WORDS = ['acc', 'aaa', 'ae', 'af', 'ec', 'fc'];

/**
 * Splits text into delta pieces the way the seed's model streams them: one CJK character per
 * piece (known words whole), ASCII words with their leading space, digit runs of at most 3;
 * inside ids, letters one by one unless the vocabulary knows the run.
 */
export function tokenize(text: string, opts: { idLike?: boolean } = {}): string[] {
  const vocabulary = opts.idLike ? ID_WORDS : WORDS;
  const pieces: string[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const known = vocabulary.filter((w) => rest.startsWith(w)).sort((a, b) => b.length - a.length)[0];
    const match = opts.idLike ? /^(?:[0-9]{1,3}|[\s\S])/u.exec(rest) : /^(?: ?[A-Za-z]+| ?[0-9]{1,3}|\p{Script=Han}|[\s\S])/u.exec(rest);
    const piece = known ?? match?.[0] ?? rest;
    pieces.push(piece);
    i += piece.length;
  }
  return pieces;
}
