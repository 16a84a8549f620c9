"""The phrase grammar behind the offline site's invented dialogue (imported by write_site.py).

Holds the word lists (WORDS), the generic sentence templates shared by both shows (LINES,
INTERJECTIONS, DIRECTIONS, PARENTHETICALS), the two invented casts with their own places, lines and
scene text (TOWN_SHOW for the IMSDb-shaped site, FLAT_SHOW for the livesinabox-shaped site), and
the two functions that draw from them with a seeded random.Random: fill_slots and random_speech.
"""
import re

WORDS = {k: v.split("|") for k, v in {
    "thing": "a frozen burrito|a lucky mitten|the class hamster|a traffic cone|the science fair volcano"
             "|a broken toaster|a haunted snow globe|the karaoke machine|the remote control|a cardboard robot costume"
             "|the spare key|a suspicious envelope|a mystery casserole|the good scissors|a giant inflatable moose"
             "|somebody's retainer",
    "plural": "snowballs|pinecones|hamsters|tubas|lawn gnomes|pancakes|raccoons|mittens|walkie-talkies|scented candles"
              "|parking tickets|folding chairs|rubber ducks|board games|houseplants",
    "adj": "weird|awesome|ridiculous|suspicious|totally lame|gross|adorable|sticky|unacceptable|majestic|dramatic"
           "|terrifying|fancy|sweaty|heroic|unbelievable|cranky|brilliant|emotionally unavailable",
    "food": "cold pizza|maple pancakes|microwave burritos|tater tots|chili fries|hot cocoa|leftover meatloaf|tuna salad"
            "|jalapeño poppers|a day-old bagel|crème brûlée|banana bread|a whole rotisserie chicken|frozen peas"
            "|lemon meringue pie|garlic knots",
    "verb": "build a snow fort|apologize|sing in public|do the moonwalk|eat a whole pie|call the police|run for mayor"
            "|learn the accordion|go ice fishing|start a band|fake a cold|read the instructions|parallel park"
            "|cry during a commercial|win the science fair|dance at a wedding|talk to strangers|admit you were wrong",
    "time": "noon|six o'clock|midnight|dawn|lunch|half past four|seven sharp|sunset",
    "fancy": "café|naïve|déjà vu|piñata|fiancé|soufflé|façade|résumé|protégé",
}.items()}
INTERJECTIONS = ("What?|No!|Oh, come on!|Okay.|Hey!|Really?|Wait, what?|Ugh.|Seriously?|Whoa.|Uh-huh.|Nope.|Oh no."
                 "|Yes!|Fine.|Hmm.|Huh?|Shh!|Oh boy.|Well...|Sure, sure.|Excuse me?").split("|")
LINES = [
    "I can't believe you brought {thing} to {place}.", "Okay, nobody panic, but {thing} is missing.",
    "Why does everything always have to be about {topic}?", "{name}, you promised you would never {verb} again.",
    "That's the worst idea I've ever heard, and I've heard a lot of your ideas.", "That is so {adj}.",
    "Fine. But if this goes wrong, I'm telling everyone it was {name}'s fault.", "I'm not {adj}, I'm just tired.",
    "Wait, wait, wait. Go back to the part about {thing}.", "I'm going to pretend I didn't hear that.",
    "You know what? I don't even care anymore.", "We need {thing}, a flashlight, and at least three {plural}.",
    "Have you ever tried to {verb} while holding {thing}? It's harder than it looks.", "That's not how {plural} work!",
    "Oh, great. Now I smell like {food}.", "Whatever you do, don't tell {name}.",
    "It's not weird if you don't make it weird.", "Why is there {food} in my coat pocket?",
    "Listen to me. Some people are born {adj}, some people become {adj}, and some people just {verb}.",
    "Is this about {thing}? Because I already said I was sorry.", "Nobody leaves {place} until we figure this out.",
    "I read about this once. The French have a word for it. It's called {fancy}.",
    "Has anybody seen {thing}? It was right here a minute ago.", "I have a plan. It only involves a tiny bit of crime.",
    "Technically, that's not lying. It's just creative remembering.", "You want to {verb} at {place}? Seriously?",
    "We meet at {place} at {time}. Bring {food}.", "No. Absolutely not. Not in a million years... Okay, maybe.",
    "I just think we should give {topic} a second chance.", "You can't just {verb} whenever you feel like it!",
    "Everybody calm down. I've seen this on television and it always works out.", "Can I say something? Thank you.",
    "If I had known this was about {topic}, I would have stayed in bed.", "Do you feel like {topic} is following us?",
    "Step one, we find {thing}. Step two, we hide it at {place}. Step three, nobody asks any questions.",
    "Can we please talk about literally anything except {topic}?", "I was being {adj}! That's called sarcasm.",
    "Okay, new rule. Nobody is allowed to {verb} without asking me first.", "You're standing on my foot.",
    "Do you know how hard it is to find {food} at {time}?", "My horoscope said today would be {adj}. Not this.",
    "This is exactly like the time {name} tried to {verb}, and we all know how that ended.",
    "I'm sorry, did you just say {topic}? Out loud? At {place}?", "Nobody touch anything. Especially {thing}.",
]
DIRECTIONS = ("{name} walks in carrying {thing}.|Everyone stares at {name}.|A long, awkward pause.|The lights flicker."
              "|{name} sits down very slowly.|{name} grabs {thing} and runs off.|There is a knock at the door."
              "|{name} looks at the others, then back at {thing}.|{name} takes a big bite of {food}."
              "|Somewhere far away, a dog barks.|{name} opens the door. It is {name}.").split("|")
PARENTHETICALS = ("(whispering)|(beat)|(yelling)|(sarcastic)|(under his breath)|(to {name})|(confused)"
                  "|(sniffing)").split("|")
TOWN_SHOW = {  # the IMSDb-shaped show: four kids and some adults in the snowy mountain town of Drift Hollow
    "main": ["Tucker", "Milo", "Barnaby", "Fitz"],
    "minor": ["Ms. Grunwald", "Mayor Plumley", "Officer Beane", "Grandpa Oswald"],
    "place": ["the bus stop", "the frozen lake", "the ski lodge", "the town hall", "the school cafeteria", "the diner",
              "Grandpa Oswald's garage", "the bowling alley", "the top of Widow's Ridge", "the Chalet Café"],
    "lines": ["The bus is late again. Maybe the driver got eaten by a bear.", "Mom! Mom! {name} is being {adj} again!",
              "Ms. Grunwald says if we don't finish our report on {topic} we get detention until spring.",
              "My grandpa says when he was a kid, the snow was so deep they had to {verb} just to get to school.",
              "Dude, the whole town is going crazy over {topic}.", "Officer Beane, you have to arrest {name}!",
              "We could sell {plural} to the tourists up at the ski lodge and get rich!",
              "This is the most {adj} thing that has ever happened in Drift Hollow.", "Dude. Dude. Dude. No.",
              "Children, please take your seats. Today we are learning about {topic}.", "My mom is going to kill me.",
              "As mayor of Drift Hollow, I hereby declare {topic} a public emergency!", "I'm telling Ms. Grunwald!",
              "You guys, I learned something today. {topic} isn't {adj}. It's just misunderstood.",
              "Back in my day we didn't have {plural}. We had snow, and we were grateful.", "Sweet! Let's do it!"],
    "opening": ["A quiet mountain town under a foot of fresh snow. Smoke curls from the chimney of the Chalet Café.",
                "Snow falls on a sign: WELCOME TO DRIFT HOLLOW, HOME OF THE FROZEN PIÑATA FESTIVAL.",
                "The sun rises over the mountains. Somewhere, a naïve squirrel is about to make a terrible mistake."],
    "headings": ["EXT. BUS STOP - MORNING", "INT. CLASSROOM - DAY", "INT. TUCKER'S KITCHEN - NIGHT",
                 "EXT. FROZEN LAKE - AFTERNOON", "INT. TOWN HALL - CONTINUOUS", "EXT. MAIN STREET - DAY",
                 "INT. SCHOOL CAFETERIA - LUNCH", "INT. MILO'S BEDROOM - NIGHT", "EXT. SKI LODGE - DUSK"],
}
FLAT_SHOW = {  # the livesinabox-shaped show: six twenty-somethings sharing two flats across one hallway
    "main": ["Dana", "Marcus", "Priya", "Theo", "Lena", "Owen"], "minor": ["Mrs. Abernathy", "Waiter", "Gus"],
    "place": ["the coffee house", "the laundromat", "the roof", "the museum", "Marcus's office", "the farmers market",
              "the dry cleaner's", "the hallway", "the crêpe stand", "my cousin's wedding"],
    "lines": ["I'm not saying it's a date, I'm saying I ironed a shirt.", "You ate my {food}? That was labelled!",
              "Mrs. Abernathy slid a note under the door that says \"We need to talk about {topic}.\"",
              "I have an audition tomorrow for a commercial about {food}.", "I got promoted! Well, sideways.",
              "Okay, everybody out of my apartment. Except you, {name}. You live here.", "We share {plural}. It's the rule.",
              "Is this a date? Because if it's a date, I'm wearing the wrong socks.", "Gus, can I get another coffee?",
              "My mother called. She wants to know why I'm not married to {name} yet.", "Hi. Hello. Hey. Hi.",
              "I'm just saying, if {topic} was so important, you'd have written it on the fridge.",
              "He looked right at me and said \"{food}\" and I just walked out.", "I need a nap and a new life."],
    "scenes": ["The coffee house, everyone is there except {name}", "Dana and Lena's apartment, {name} is reading",
               "Marcus, Theo and Owen's apartment, the guys are playing cards", "The laundromat, {name} is folding",
               "A fancy restaurant, {name} is waiting for a date", "The hallway between the apartments",
               "Priya's office, she is on the phone", "The roof, it is getting dark"],
}



def fill_slots(rng, text, ctx):
    """Replace every {slot} with a random choice from ctx or WORDS (a fresh choice per slot)."""
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(ctx.get(m.group(1)) or WORDS[m.group(1)]), text)


def random_speech(rng, show, ctx, last=None):
    """(speaker, speech, ctx without the speaker): one to four sentences, or a bare interjection."""
    who = last
    while who == last:
        who = rng.choice(show["main"]) if rng.random() < 0.82 else rng.choice(show["minor"])
    ctx = {**ctx, "name": [n for n in ctx["name"] if n != who]}
    n = rng.choice([0, 1, 1, 1, 2, 2, 3, 4])
    parts = [rng.choice(INTERJECTIONS)] if n == 0 or rng.random() < 0.2 else []
    parts += [fill_slots(rng, rng.choice(LINES if rng.random() < 0.7 else show["lines"]), ctx) for _ in range(n)]
    return who, " ".join(parts), ctx
