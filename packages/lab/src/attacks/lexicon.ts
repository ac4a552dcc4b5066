/**
 * Fixed word lists, embedded so the attacks need no data files.
 *
 * COMMON_WORDS: about 200 of the most frequent English words (function words first, then
 * frequent verbs, nouns, adjectives and adverbs), roughly in the order of general
 * frequency lists such as the Brown corpus ranking. Insertion draws from it because an
 * attacker padding text uses plausible filler, and frequent words are what a language
 * model would most likely emit anyway.
 *
 * STOPWORDS: function words, auxiliaries and modals. Synonym substitution skips them:
 * WordNet has no useful synonyms for them ("a" → "angstrom", "be" → "exist") and a
 * paraphrasing attacker leaves them alone. "said" is here too: as a form of "say" it is
 * everywhere in news text, and its only WordNet lemma is the adjective ("aforesaid").
 */

export const COMMON_WORDS: readonly string[] = `
the of and to a in is it you that he was for on are with as i his they be at one have
this from or had by not even but what some we can out other were all there when up use
your how said an each she which do their time if will way about many then them life
would like so these her long make thing see him two has look more day could go come did
number world no most people my over know water than call first who may down side been
now find any new work part take get place made live where after back little only still
man year came show every good me give our under name very through just school never
great think say help last city state turn own much mean before move right boy old too
same tell does set three want air well also play small end put home read hand country
large often house land here must big high such follow act why ask men change went light
kind off need picture try us again animal point mother near should night earth father
because against between
`
  .trim()
  .split(/\s+/)

export const STOPWORDS: ReadonlySet<string> = new Set(
  `
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each either
few for from further had has have having he her here hers herself him himself his how
i if in into is it its itself just let me might more most must my myself neither no nor
not now of off on once one only or other ought our ours ourselves out over own same
shall she should so some such than that the their theirs them themselves then there
these they this those through to too under until up upon us very was we were what when
where whether which while who whom whose why will with within without would yet you
your yours yourself yourselves also ever never still even much many may said
`
    .trim()
    .split(/\s+/),
)
