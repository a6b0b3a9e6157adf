"""The six registers' sentence templates, and ``describe``, which picks one for a register.

Each renderer builds its sentence from the tidied parts with the grammar kit, so a template only
says what goes where; imagery and role wording come from the tables here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from adp_cli.offline.grammar import join_list, sentence, slashed, stack, with_article, with_noun
from adp_cli.offline.parts import Instrument, Level, Parts, Section, parts_of
from adp_cli.offline.registers import Register
from adp_cli.tasks.wizard import WizardData


@dataclass(frozen=True)
class _Imagery:
    """Figurative wording that suits how intense the music is."""

    images: tuple[str, ...]  # each names a musical thing, so a vivid line is still about music
    surge: str  # what the track does, in the vivid register
    bar: str  # opens the vivid second sentence
    vivid_voice: str
    motion: str  # how the track moves at its tempo, in the evocative register
    evocative_voice: str


_IMAGERY: dict[Level, _Imagery] = {
    Level.HIGH: _Imagery(
        images=(
            "Like a thunderstorm with a backbeat",
            "Like wildfire caught in a chorus",
            "Like a city skyline pulsing to a drumbeat",
        ),
        surge="surges",
        bar="Every bar burns bright",
        vivid_voice="rise like a flare",
        motion="racing",
        evocative_voice="soar above it all",
    ),
    Level.MID: _Imagery(
        images=(
            "Like a river humming its own melody",
            "Like sunlight falling in rhythm through the leaves",
            "Like a long road unrolling to a steady groove",
        ),
        surge="flows",
        bar="Every bar sways",
        vivid_voice="glow like embers",
        motion="moving",
        evocative_voice="ride on top",
    ),
    Level.LOW: _Imagery(
        images=(
            "Like moonlight turned into melody",
            "Like a slow tide keeping quiet time",
            "Like a lullaby sung to an empty room",
        ),
        surge="drifts",
        bar="Every bar breathes slowly",
        vivid_voice="curl like smoke",
        motion="drifting",
        evocative_voice="float above",
    ),
}

# What the players of a role do: (verb in its base form, the rest). Each rest names the role.
_VIVID_ROLES: dict[str, tuple[str, str]] = {
    "lead": ("blaze", "a trail in the lead"),
    "rhythm": ("beat", "out the rhythm like a heart"),
    "bass": ("rumble", "through the bass like distant thunder"),
    "melody": ("sing", "the melody like a bird at dawn"),
    "harmony": ("shimmer", "through the harmony like heat haze"),
    "pad": ("spread", "the pad like morning mist"),
    "background": ("glimmer", "in the background like far-off stars"),
    "percussion": ("scatter", "percussion like rain on a tin roof"),
    "accompaniment": ("wrap", "the accompaniment around it like a shawl"),
    "solo": ("soar", "through the solo like a kite"),
}

_EVOCATIVE_ROLES: dict[str, tuple[str, str]] = {
    "lead": ("take", "the lead"),
    "rhythm": ("hold", "the rhythm"),
    "bass": ("anchor", "the bass"),
    "melody": ("carry", "the melody"),
    "harmony": ("weave", "the harmony"),
    "pad": ("lay", "down the pad"),
    "background": ("fill", "the background"),
    "percussion": ("drive", "the percussion"),
    "accompaniment": ("provide", "the accompaniment"),
    "solo": ("take", "the solo"),
}


def _role_action(section: Section, roles: Mapping[str, tuple[str, str]], verb: str, rest: str) -> str:
    """The players at work; a role the table lacks gets the register's generic wording."""
    known = roles.get(section.role.lower())
    return section.acts(*known) if known else section.acts(verb, rest.format(role=with_article(section.role)))


def _vivid(parts: Parts) -> str:
    """Two short figurative sentences: an image and the track's motion, then its players."""
    look = _IMAGERY[parts.level]
    image = look.images[parts.seed % len(look.images)]
    feel = parts.feel(articles=False)
    first = f"{image}, this {parts.core(moods=True)} {look.surge}{parts.tempo()}"
    first += f", all {feel}" if feel else ""
    actions = [_role_action(section, _VIVID_ROLES, "shine", "in {role} role") for section in parts.sections]
    if parts.voice:
        actions.append(f"{parts.voice.phrase(stack)} {look.vivid_voice}")
    if not actions:
        return sentence(first)
    return f"{sentence(first)} {sentence(f'{look.bar} as {join_list(actions)}')}"


def _evocative(parts: Parts) -> str:
    """One flowing sentence of imagery: the track moving, carried by its feel, its players at work."""
    look = _IMAGERY[parts.level]
    head = with_article(parts.core(moods=True))
    head += f" {look.motion}{parts.tempo()}" if parts.bpm else ""
    feel = parts.feel()
    actions = [_role_action(section, _EVOCATIVE_ROLES, "play", "{role} part") for section in parts.sections]
    if parts.voice:
        actions.append(f"{parts.voice.phrase(stack)} {look.evocative_voice}")
    clauses = [head, f"carried by {feel}" if feel else "", f"where {join_list(actions)}" if actions else ""]
    return sentence(", ".join(filter(None, clauses)))


# Roles that read as adjectives before an instrument ("a lead guitar"); others follow it
# ("a warm Rhodes on chords", not "a warm chords Rhodes").
_ADJECTIVAL_ROLES = {"lead", "rhythm", "backing", "solo", "bass", "pad", "supporting", "main"}


def _attributive(inst: Instrument) -> str:
    """'a distorted, aggressive lead electric guitar', 'a warm Rhodes on chords'; no 'bass bass guitar'."""
    if set(inst.role.lower().split()) <= set(inst.name.lower().split()):
        return inst.named()
    if inst.role.lower() in _ADJECTIVAL_ROLES:
        return inst.named(inst.role)
    return f"{inst.named()} on {inst.role}"


def _balanced(parts: Parts) -> str:
    """Musical terms in plain prose: what it is, what it is built on, what sits on top."""
    feel = parts.feel()
    clauses = [with_article(parts.core(moods=True)) + parts.tempo() + (f" with {feel}" if feel else "")]
    if parts.instruments:
        clauses.append(f"built on {join_list([_attributive(inst) for inst in parts.instruments])}")
    if parts.voice:
        clauses.append(f"{'topped' if parts.instruments else 'carried'} by {parts.voice.phrase(stack)}")
    return sentence(", ".join(clauses))


def _precise(parts: Parts) -> str:
    """Accessible but exact: the mood as a noun phrase, each role named outright."""
    withs = [with_article(with_noun(join_list(parts.moods), "mood")), *parts.feel_items()]
    featured = [f"{section.names()} in the {section.role} role" for section in parts.sections]
    if parts.voice:
        featured.append(parts.voice.phrase(stack))
    head = with_article(parts.core(moods=False)) + parts.tempo()
    head += f" with {join_list([w for w in withs if w])}" if any(withs) else ""
    return sentence(head + (f", featuring {join_list(featured)}" if featured else ""))


def _technical(parts: Parts) -> str:
    """A spec line: facts separated by commas, instruments and vocals as their own sections."""
    facts = [
        parts.core(moods=False, missing="track"),
        f"{parts.bpm} BPM" if parts.bpm else "",
        with_noun(slashed(parts.energy), "energy"),
        with_noun(slashed(parts.texture), "texture"),
        with_noun(slashed(parts.moods), "mood"),
    ]
    instruments = ", ".join(
        " ".join(filter(None, [slashed(inst.descriptors), inst.name, f"({inst.role})"]))
        for inst in parts.instruments
    )
    vocals = parts.voice.phrase(slashed) if parts.voice else ""
    return sentence("; ".join(filter(None, [", ".join(filter(None, facts)), instruments, vocals])))


def _professional(parts: Parts) -> str:
    """Catalogue copy: no article, genre first, the character in a word or two, then the line-up."""
    head = parts.core(moods=False, missing="track") + parts.tempo()
    feel = parts.feel()
    if feel and not parts.moods:
        head += f" with {feel}"  # "EDM track with high energy"; after a mood it is its own clause
    line_up = [f"{section.names(article=False)} on {section.role}" for section in parts.sections]
    if parts.voice:
        line_up.append(parts.voice.phrase(stack))
    clauses = [
        head,
        f"{join_list(parts.moods)} in character" if parts.moods else "",
        f"with {feel}" if feel and parts.moods else "",
        f"featuring {join_list(line_up)}" if line_up else "",
    ]
    return sentence(", ".join(filter(None, clauses)))


_RENDERERS: dict[Register, Callable[[Parts], str]] = {
    Register.VIVID: _vivid,
    Register.EVOCATIVE: _evocative,
    Register.BALANCED: _balanced,
    Register.PRECISE: _precise,
    Register.TECHNICAL: _technical,
    Register.PROFESSIONAL: _professional,
}


def describe(wizard: WizardData, register: Register) -> str:
    """The wizard data as one sentence (two short ones when vivid) in the given register."""
    parts = parts_of(wizard)
    if parts.empty and register is not Register.VIVID:
        return "A piece of music."
    return _RENDERERS[register](parts)
