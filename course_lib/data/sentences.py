"""The course corpus's sentences: hand-written ones plus a small template grammar (chapter 08).

Everything here is deterministic (a fixed :class:`random.Random` seed, no set iteration), so
``python -m course_lib.data.make_corpus`` writes the same sentences in the same order on every
machine. Sentences are written the way people write — digits, abbreviations, currency, quotes —
and :func:`course_lib.text.clean_text` turns them into what eSpeak NG speaks and the model reads.
"""

from __future__ import annotations

import random

from course_lib.text import clean_text

#: Hand-written sentences: pangrams, phoneme-rich lines, numbers, abbreviations, punctuation.
HAND_WRITTEN = (
    "The quick brown fox jumps over the lazy dog.",
    "Pack my box with five dozen liquor jugs.",
    "How vexingly quick daft zebras jump!",
    "Sphinx of black quartz, judge my vow.",
    "The five boxing wizards jump quickly.",
    "Jackdaws love my big sphinx of quartz.",
    "She sells sea shells by the sea shore.",
    "The measure of a treasure is its pleasure.",
    "A beige garage is a rare vision in Asia.",
    "The boy enjoyed the noisy toy in the voyage.",
    "Thirty thousand thoughtful thrushes thrived there.",
    "Which witch watched the wrist watch?",
    "Judge the huge orange fudge gently.",
    "The thin thief thought of three things.",
    "Those other brothers bathe with their mother.",
    "Could you bring the good book to the cook?",
    "Choose the blue shoes for the cruise.",
    "Her first word was \"bird\", not \"worm\".",
    "Hello there, world!",
    "Good morning, Sam.",
    "Thank you very much.",
    "Yes, of course it is.",
    "No, not today, thanks.",
    "Where are you going?",
    "Wait for me, please!",
    "Are you quite sure?",
    "Well done, everyone!",
    "See you tomorrow, then.",
    "Please close the door.",
    "It's raining again.",
    "I don't know, maybe.",
    "What time is it?",
    "It is 7:00 in the morning.",
    "The meeting starts at 10:30, so please be early.",
    "The train leaves at 3:05 from platform 9.",
    "Dr. Jones arrived at 4:45 with two nurses.",
    "Mr. and Mrs. Baker own 3 cats and 2 dogs.",
    "Prof. Lee teaches the 2nd class on Tuesdays.",
    "St. Louis is on the Mississippi River.",
    "The ticket costs $12.50, including tax.",
    "She paid $1 for a cup of tea.",
    "He lent me £20 last week.",
    "The jacket was €45, a real bargain.",
    "Only 15% of the seats were empty.",
    "Water boils at 100 degrees Celsius.",
    "The temperature dropped to -5 degrees overnight.",
    "Pi is roughly 3.14159.",
    "The box weighs 2.5 kilograms.",
    "The city has 1,250,000 people.",
    "In 1969, people walked on the Moon.",
    "The war ended in 1945.",
    "The company was founded in 1905.",
    "She was born in 2001, in a small town.",
    "The bridge opened in 1900.",
    "The year 2000 began on a Saturday.",
    "Our house is number 42.",
    "He finished 3rd in the race.",
    "Today is the 21st of June.",
    "The 100th visitor won a prize.",
    "My flat is on the 12th floor.",
    "Chapter 8 is about text for speech.",
    "Rock & roll will never die.",
    "Call me at noon, or email me @ home.",
    "The café served crème brûlée and a naïve rosé.",
    "Zoë read Brontë's novel in Zürich.",
    "The recipe needs flour, sugar, butter, and eggs.",
    "First, wash your hands; then, dry them.",
    "Note: the office is closed on Monday.",
    "The answer (as you know) is no.",
    "Wait... did you hear that?",
    "Well, that was unexpected!",
    "She asked, \"Why not?\"",
    "It's a well-known fact that cats like fish.",
    "We'll meet at the station, won't we?",
    "They've already left, haven't they?",
    "The children's toys were all over the floor.",
    "Isn't it strange how quickly time passes?",
    "A journey of a thousand miles begins with a single step.",
    "Actions speak louder than words.",
    "Every cloud has a silver lining.",
    "The early bird catches the worm.",
    "Knowledge is power, but enthusiasm pulls the switch.",
    "Speech synthesis turns written text into sound.",
    "Attention tells the decoder where to look.",
    "A vocoder turns a spectrogram back into a waveform.",
    "The network learns from thousands of examples.",
    "Neural networks are layers of simple units.",
    "A perceptron draws a straight line between two classes.",
    "Gradient descent walks downhill, one small step at a time.",
    "Sound is a pressure wave that travels through the air.",
    "The microphone measures the pressure 22,050 times a second.",
    "Each mel band covers a range of frequencies.",
    "Vowels carry the melody; consonants carry the meaning.",
    "Jazz musicians improvise with joy and genius.",
    "The azure sky was calm and beautiful.",
    "Usually the vision of the future is unusual.",
    "George enjoyed the strange orange juice.",
    "The lawyer thought the offer was awful.",
    "The cowboy found a brown cow in the town.",
    "My sister's choir sang a beautiful tune.",
    "Hugh threw the huge yellow ball through the window.",
    "Ring the bell, and bring the king something.",
    "Few youths knew the truth about the jewels.",
    "Put the wool in the wooden box, would you?",
    "The pure cure for boredom is curiosity.",
    "Arthur's father parked the car in the yard.",
    "Fresh fish is a fine dish for a feast.",
    "Victor values every voice in the village.",
    "Kevin kept the kitten in the kitchen.",
    "Quiet! The baby is asleep.",
    "Oh no, I forgot my keys!",
    "Happy birthday, Anna!",
    "Nice to meet you.",
    "Turn left at the second light.",
    "Is this seat taken?",
)

_NAMES = (
    "Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jack", "Kate",
    "Liam", "Maya", "Noah", "Olivia", "Peter", "Quinn", "Rosa", "Sam", "Thomas", "Uma", "Victor",
    "Wendy", "Xavier", "Yusuf", "Zara", "Joseph", "Judith", "Theodore", "Charlotte",
)
_SURNAMES = ("Smith", "Jones", "Garcia", "Brown", "Taylor", "Walker", "Young", "King", "Wright",
             "Hughes", "Thompson", "Fisher", "Joyce", "Vaughn", "Zhao")
_TITLES = ("Dr.", "Mr.", "Mrs.", "Prof.", "Capt.", "Sgt.", "Rev.")
_ADJECTIVES = (
    "old", "young", "happy", "quiet", "noisy", "yellow", "purple", "huge", "tiny", "brave",
    "clever", "lazy", "shiny", "wooden", "frozen", "gentle", "curious", "strange", "heavy", "smooth",
    "bright", "ancient", "modern", "thirsty", "jolly", "careful", "golden", "rough", "fresh", "usual",
)
_NOUNS = (
    "cat", "dog", "teacher", "farmer", "pilot", "doctor", "child", "king", "queen", "robot",
    "singer", "painter", "sailor", "judge", "baker", "owl", "horse", "zebra", "monkey", "engineer",
    "tourist", "lawyer", "nurse", "soldier", "student", "cook", "driver", "poet", "fisherman", "boy",
)
_THINGS = (
    "book", "bottle", "letter", "garden", "window", "bridge", "guitar", "jacket", "umbrella", "ship",
    "chair", "treasure", "picture", "machine", "engine", "voice", "puzzle", "measure", "cushion",
    "bicycle", "camera", "kettle", "ladder", "mirror", "violin", "basket", "pillow", "wagon", "jewel",
    "thermometer",
)
_VERBS_PAST = (
    "found", "painted", "opened", "carried", "fixed", "watched", "borrowed", "washed", "threw",
    "chose", "measured", "pushed", "judged", "bought", "sold", "brought", "caught", "thought about",
    "enjoyed", "loved", "noticed", "polished", "hid", "touched", "wrapped", "moved", "shared",
)
_VERBS_BASE = (
    "find", "paint", "open", "carry", "fix", "watch", "borrow", "wash", "throw", "choose",
    "measure", "push", "buy", "sell", "bring", "catch", "enjoy", "notice", "polish", "hide",
)
_PLACES = (
    "in the kitchen", "near the river", "at the station", "under the bridge", "on the roof",
    "behind the school", "by the sea", "in the garage", "at the zoo", "across the valley",
    "in the library", "on the island", "beside the fountain", "in the village", "at the market",
)
_TIMES = (
    "yesterday", "this morning", "last night", "on Sunday", "every Thursday", "after lunch",
    "at dawn", "before the storm", "during the show", "in the autumn",
)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_TOWNS = ("Oxford", "Boston", "Dublin", "Glasgow", "Denver", "Quebec", "Geneva", "Houston",
          "Vienna", "Zagreb", "York", "Chicago")
_PLURALS = ("apples", "eggs", "tickets", "stamps", "books", "oranges", "pencils", "chairs",
            "bottles", "cookies", "shirts", "cherries")
_UNITS = ("kilograms", "meters", "liters", "miles", "hours", "minutes", "degrees")


def _template(rng: random.Random) -> str:
    c, r = rng.choice, rng.randint
    name, adj, noun, thing = c(_NAMES), c(_ADJECTIVES), c(_NOUNS), c(_THINGS)
    a = "an" if adj[0] in "aeiou" else "a"
    forms = (
        lambda: f"The {adj} {noun} {c(_VERBS_PAST)} the {c(_THINGS)} {c(_PLACES)}.",
        lambda: f"{name} {c(_VERBS_PAST)} {a} {adj} {thing} {c(_TIMES)}.",
        lambda: f"Did the {noun} {c(_VERBS_BASE)} the {thing} {c(_PLACES)}?",
        lambda: f"Why would {name} {c(_VERBS_BASE)} {a} {adj} {thing}?",
        lambda: f"What {a} {adj} {thing}!",
        lambda: f"Look at the {adj} {noun}!",
        lambda: f"{c(_TITLES)} {c(_SURNAMES)} {c(_VERBS_PAST)} the {thing}.",
        lambda: f"{name} bought {r(2, 60)} {c(_PLURALS)} for ${r(1, 99)}.{r(10, 99)}.",
        lambda: f"The {thing} costs ${r(2, 900)}, not ${r(2, 900)}.",
        lambda: f"{name} was born on {c(_MONTHS)} {_nth(r(1, 28))}, {r(1901, 2019)}.",
        lambda: f"It happened on the {_nth(r(1, 31))} of {c(_MONTHS)}.",
        lambda: f"The bus to {c(_TOWNS)} leaves at {r(1, 12)}:{r(0, 59):02d}.",
        lambda: f"About {r(2, 99)}% of the {c(_NOUNS)}s liked the {thing}.",
        lambda: f"The {thing} weighs {r(1, 40)}.{r(1, 9)} {c(_UNITS[:1])}.",
        lambda: f"We walked {r(2, 30)} {c(('miles', 'kilometres'))} in {r(2, 9)} {c(_UNITS[4:6])}.",
        lambda: f"Room {r(100, 999)} is on the {_nth(r(2, 30))} floor.",
        lambda: f"In {r(1066, 2024)}, the {noun} {c(_VERBS_PAST)} {_a(thing)}.",
        lambda: "{} packed {}, {}, and {}.".format(name, *(_a(t) for t in rng.sample(_THINGS, 3))),
        lambda: f"The {noun} {c(_VERBS_PAST)} the {thing}, but the {c(_NOUNS)} {c(_VERBS_PAST)} it.",
        lambda: f"When the {noun} arrived, {name} {c(_VERBS_PAST)} the {thing}.",
        lambda: f"The {noun} was {adj}; the {c(_NOUNS)} was {c(_ADJECTIVES)}.",
        lambda: f"The {thing} (a {adj} one) was {c(_PLACES)}.",
        lambda: f"{name} said, \"I {c(_VERBS_PAST)} the {thing}.\"",
        lambda: f"{name}'s {thing} isn't {adj}, is it?",
        lambda: f"{c(_TIMES).capitalize()}, {name} and {c(_NAMES)} {c(_VERBS_PAST)} {_a(thing)}.",
        lambda: f"So many {adj} {thing}s!",
        lambda: f"{name}, please {c(_VERBS_BASE)} the {thing}.",
        lambda: f"The score was {r(0, 9)} to {r(0, 9)} at half time.",
        lambda: f"{name} ran {r(2, 42)}.{r(1, 9)} kilometres in {r(20, 59)} minutes.",
        lambda: (f"The {adj} {noun} and the {c(_ADJECTIVES)} {c(_NOUNS)} {c(_VERBS_PAST)} "
                 f"the {thing} {c(_PLACES)} {c(_TIMES)}."),
    )
    return c(forms)()


def _a(word: str) -> str:
    """The indefinite article: "a kettle", "an umbrella"."""
    return ("an " if word[0] in "aeiou" else "a ") + word


def _nth(n: int) -> str:
    """Digits with their ordinal suffix: 1 -> "1st", 12 -> "12th", 23 -> "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def course_sentences(count: int = 505, seed: int = 2018, min_chars: int = 16, max_chars: int = 95) -> list[str]:
    """``count`` distinct sentences as written (not cleaned): the hand-written ones first, then
    template sentences whose cleaned length lies in ``[min_chars, max_chars]`` (≈ 1–6 s of speech)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    for sentence in HAND_WRITTEN:
        cleaned = clean_text(sentence)
        if not min_chars <= len(cleaned) <= max_chars or cleaned in seen:  # a bug in HAND_WRITTEN
            raise RuntimeError(f"hand-written sentence {sentence!r} is a duplicate or out of length")
        seen.add(cleaned)
        out.append(sentence)
    for _ in range(100 * count):
        if len(out) >= count:
            return out[:count]
        sentence = _template(rng)
        cleaned = clean_text(sentence)
        if cleaned not in seen and min_chars <= len(cleaned) <= max_chars:
            seen.add(cleaned)
            out.append(sentence)
    raise RuntimeError("the grammar cannot produce enough distinct sentences; lower count")
