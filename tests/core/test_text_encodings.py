"""Plain text in the encodings people's files are really in.

Each sample is a real paragraph of a few sentences, as a document would hold: detection on a
single short sentence is a coin toss for any detector, and no document is one sentence long.
"""

from __future__ import annotations

import random
import time
import unicodedata

import pytest

from core.documents import text_formats
from core.documents.source import Source
from core.documents.text_formats import decode_bytes, looks_like_text, read_text
from core.errors import DocumentError

CZECH = (
    "Těch několik kusů nábytku, které zbyly po babičce, jsme odvezli na chalupu. Tatínek "
    "řekl, že skříň je příliš těžká a že ji musíme rozebrat. Večer jsme seděli u kamen, pili "
    "čaj a poslouchali, jak venku fouká vítr. Ráno byla celá zahrada pod sněhem a děti si "
    "hned začaly stavět sněhuláka."
)
TURKISH = (
    "İstanbul, Türkiye'nin en kalabalık şehridir ve iki kıtaya yayılır. Boğaz'ın iki "
    "yakasını birbirine bağlayan köprülerden her gün binlerce araç geçer. Eski şehirde "
    "Ayasofya, Sultanahmet Camii ve Kapalıçarşı gibi tarihi yapılar bulunur. Akşamları "
    "sahilde çay içip martıları izlemek şehrin en güzel alışkanlıklarından biridir."
)
FINNISH = (
    "Suomessa on lähes kaksisataatuhatta järveä, ja monella perheellä on kesämökki jonkin "
    "järven rannalla. Kesällä aurinko ei pohjoisessa laske lainkaan, ja yöt ovat valoisia. "
    "Talvella päivät ovat lyhyitä, ja pakkasta voi olla kolmekymmentä astetta. Saunominen "
    "kuuluu suomalaiseen elämään kaikkina vuodenaikoina."
)
GERMAN = (
    "Die Grüße aus Köln kamen pünktlich an. Der Brief erzählte von einem langen Spaziergang "
    "am Rhein, von der Straßenbahn und vom Dom, der größer ist, als man denkt. Am Abend "
    "aßen wir Reibekuchen und tranken ein Kölsch."
)
RUSSIAN = (
    "Москва - столица России и крупнейший город страны. Летом по Москве-реке ходят "
    "прогулочные теплоходы, а в парках играют музыканты. Зимой на Красной площади заливают "
    "каток, и туда приходят тысячи людей. Метро в Москве считается одним из самых красивых "
    "в мире."
)
JAPANESE = (
    "東京は日本の首都であり、世界でも有数の大都市です。毎朝、多くの人々が電車で通勤し、駅は"
    "とても混雑します。週末には公園で花見を楽しむ家族や、買い物に出かける若者の姿が見られま"
    "す。夜になると、街の明かりがきらきらと輝き、とても美しい景色になります。"
)
KOREAN = (
    "서울은 대한민국의 수도이며 가장 큰 도시입니다. 한강이 도시 한가운데를 흐르고, 강변에는 "
    "자전거 도로와 공원이 있습니다. 주말이면 많은 사람들이 남산에 올라 도시의 경치를 "
    "구경합니다. 겨울에는 날씨가 매우 춥지만 따뜻한 국물 요리가 인기가 많습니다."
)
# "䶮" is in GB18030 only (not in GBK), so only a GB18030 reading gets this right.
CHINESE_SIMPLIFIED = (
    "北京是中华人民共和国的首都，也是全国的政治和文化中心。每年春天，很多游客来到故宫和长城"
    "参观。胡同里的老房子保留着传统的生活方式，居民们常常在门口聊天。五代十国时期，刘䶮在广州"
    "建立了南汉。"
)
CHINESE_TRADITIONAL = (
    "臺北是臺灣最大的城市，也是政治與經濟的中心。捷運系統四通八達，讓市民出門非常方便。夜市"
    "裡有各式各樣的小吃，吸引許多觀光客前來品嚐。週末的時候，很多人會到陽明山登山或泡溫泉。"
)

# Python has no EUC-TW codec; these bytes are GNU iconv's (iconv -t EUC-TW) for
# "臺灣的原住民族有許多不同的語言，其中阿美語的使用人口最多。老一輩的人常說，語言是民族的靈魂。
# 現在學校也開始教族語，希望年輕人不要忘記祖先的話。" and, with a plane-2 character (SS2),
# "他笑著說：「冇問題。」".
EUC_TW = bytes.fromhex(
    "ead7fda4cefbd4cfc8eec6e1dafec8b4ddc2c7e9c4e2c7d1cefbeba3cbc6a1a2cca7c4e3cfdfd3a1eba3cefb"
    "cbf0c6eec4a9c4c7deb2c7e9a1a4c8d2c4a1efc5cefbc4a9daa6eba9a1a2eba3cbc6d1d2c6e1dafecefbfcf1"
    "ebf7a1a4dca2c7e3f0d0d5f7c4bee2e4cceedaf4dafeeba3a1a2caa8dbacc8a1ebbcc4a9c4e2d3d1cab3d8b4"
    "d7adc7bfcefbe6e3a1a4"
)
EUC_TW_PLANE_2 = bytes.fromhex("c5ecd7bde1e1eba9a1a8a1d68ea2a1aed9c2f7eea1a4a1d7")
# iconv -t ISO-2022-CN of "北京是中国的首都。"
ISO_2022_CN = bytes.fromhex("1b2429410e31313e294a475650397a35444a57363c21230f")


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (CZECH, "cp1250"),
        (CZECH, "iso8859_2"),
        (TURKISH, "cp1254"),
        (TURKISH, "iso8859_9"),
        (FINNISH, "latin-1"),
        (GERMAN, "cp1252"),
        (RUSSIAN, "cp1251"),
        (RUSSIAN, "koi8_r"),
        (RUSSIAN, "cp866"),
        (JAPANESE, "shift_jis"),
        (JAPANESE, "euc_jp"),
        (KOREAN, "euc_kr"),
        (CHINESE_SIMPLIFIED, "gb18030"),
        (CHINESE_TRADITIONAL, "big5"),
        (JAPANESE, "iso2022_jp"),
        (KOREAN, "iso2022_kr"),
        (GERMAN, "utf-16-le"),
        (RUSSIAN, "utf-16-be"),
        (KOREAN, "utf-16-le"),
        (CHINESE_SIMPLIFIED, "utf-16-le"),  # not one NUL byte: no ASCII at all
        (JAPANESE, "utf-32-be"),
        (CZECH, "utf-8"),
    ],
)
def test_paragraph_decodes(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding), "notes.txt") == text


def test_with_byte_order_mark() -> None:
    for encoding in ("utf-8-sig", "utf-16", "utf-32"):
        assert decode_bytes(TURKISH.encode(encoding), "notes.txt") == TURKISH


def test_a_detected_encoding_is_noted_for_the_log() -> None:
    source = Source("babicka.txt", CZECH.encode("cp1250"))
    assert read_text(source) == CZECH
    assert source.notes == ["No encoding declared; read as Windows-1250 (Central European)."]
    plain = Source("plain.txt", CZECH.encode("utf-8"))
    read_text(plain)
    assert plain.notes == []


def test_xml_declaration_decides() -> None:
    # One short sentence: too little for detection, but the file says what it is.
    body = "<p>Žluťoučký kůň úpěl ďábelské ódy.</p>"
    raw = f'<?xml version="1.0" encoding="ISO-8859-2"?>\n{body}'.encode("iso8859_2")
    assert decode_bytes(raw, "kun.xml").endswith(body)


@pytest.mark.parametrize(
    "first_line",
    ["# -*- coding: cp1251 -*-", "# vim: set fileencoding=cp1251 :", "# coding=cp1251"],
)
def test_coding_line_decides(first_line: str) -> None:
    text = f"{first_line}\nПривет, мир.\n"
    assert decode_bytes(text.encode("cp1251"), "hello.py") == text


def test_a_wrong_declaration_is_ignored() -> None:
    # Declared UTF-8, saved in Windows-1250: the bytes do not decode, so detection decides.
    text = "# -*- coding: utf-8 -*-\n" + CZECH
    assert decode_bytes(text.encode("cp1250"), "babicka.txt") == text
    # Declared Latin-1 but re-saved as UTF-8 since: valid UTF-8 wins.
    text = '<?xml version="1.0" encoding="iso-8859-1"?>\n<p>' + FINNISH + "</p>"
    assert decode_bytes(text.encode("utf-8"), "suomi.xml") == text


def test_mostly_utf8_keeps_utf8_and_notes_the_stray_byte() -> None:
    raw = CZECH.encode("utf-8") + b"\nOne line from elsewhere: caf\xe9.\n"
    source = Source("log.txt", raw)
    text = read_text(source)
    assert text.startswith(CZECH)
    assert text.endswith("caf\N{REPLACEMENT CHARACTER}.\n")
    assert source.notes == [
        "1 byte(s) are not valid UTF-8 and were replaced by \N{REPLACEMENT CHARACTER}."
    ]


@pytest.mark.parametrize(
    ("raw", "seems"),
    [(EUC_TW, "EUC-TW"), (EUC_TW_PLANE_2 + EUC_TW, "EUC-TW"), (ISO_2022_CN, "ISO-2022-CN")],
)
def test_encoding_python_cannot_decode(raw: bytes, seems: str) -> None:
    with pytest.raises(DocumentError) as caught:
        decode_bytes(raw, "taiwan.txt")
    assert caught.value.kind == "unknown_encoding"
    assert "taiwan.txt" in caught.value.message
    assert seems in caught.value.message
    assert "save it as UTF-8" in caught.value.message


def test_binary_is_not_text() -> None:
    for raw in (
        b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(2048),
        random.Random(2).randbytes(4096),
        bytes(range(256)) * 8,
    ):
        with pytest.raises(DocumentError) as caught:
            decode_bytes(raw, "picture.txt")
        assert caught.value.kind == "corrupt"


def test_big_file_is_sampled_for_the_decision_and_decoded_whole() -> None:
    # 5 MB of Western European text: detection looks at 64 KB, the decode at every byte.
    paragraph = FINNISH + "\n" + GERMAN + "\n"
    text = "".join(f"{n}. {paragraph}" for n in range(5_000_000 // len(paragraph)))
    raw = text.encode("latin-1")
    started = time.perf_counter()
    assert decode_bytes(raw, "big.txt") == text
    assert time.perf_counter() - started < 10  # about 0.5 s; the whole file takes far longer
    # Japanese: the samples are cut where no two-byte character can be split.
    text = "".join(f"{n} {JAPANESE}\n" for n in range(2_000_000 // len(JAPANESE)))
    assert decode_bytes(text.encode("shift_jis"), "big.txt") == text


# ------------------------------------------------------------------------ looks_like_text

LICENSE = (
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this "
    "software and associated documentation files, to deal in the Software without restriction."
)


@pytest.mark.parametrize(
    "head",
    [
        LICENSE.encode("ascii"),
        ("README\n======\n\n" + CZECH).encode("utf-8"),
        CZECH.encode("cp1250"),
        RUSSIAN.encode("koi8_r"),
        JAPANESE.encode("shift_jis"),
        JAPANESE.encode("iso2022_jp"),
        GERMAN.encode("utf-16"),
        GERMAN.encode("utf-16-le"),
        ("\x1b[32mOK\x1b[0m build finished\n" * 20).encode("ascii"),  # colours in a log
        EUC_TW,  # text, though not readable: extraction then says how to convert it
    ],
)
def test_looks_like_text(head: bytes) -> None:
    assert looks_like_text(head)


def test_looks_like_text_on_a_head_cut_inside_a_character() -> None:
    for text, encoding in ((CZECH, "utf-8"), (JAPANESE, "shift_jis"), (KOREAN, "euc_kr")):
        raw = ("\n".join([text] * 100)).encode(encoding)
        for size in (8191, 8192, 8193):
            assert looks_like_text(raw[:size]), (encoding, size)


@pytest.mark.parametrize(
    "head",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
        b"\x7fELF\x02\x01\x01\x00" + bytes(8),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16),
        random.Random(3).randbytes(8192),
        bytes(8192),
        b"",
    ],
)
def test_binary_does_not_look_like_text(head: bytes) -> None:
    assert not looks_like_text(head)


def test_candidates_are_all_python_codecs() -> None:
    import codecs

    for encoding in text_formats.CANDIDATES:
        codecs.lookup(encoding)


# -------------------------------------------------- old DOS, Mac and mainframe code pages

FRENCH = (
    "L'été dernier, nous avons passé trois semaines en Provence. Chaque matin, nous achetions "
    "du pain frais à la boulangerie du village, où la boulangère nous saluait toujours avec un "
    "sourire. L'après-midi, nous nous reposions à l'ombre des platanes, et le soir nous dînions "
    "sur la terrasse en regardant le soleil se coucher derrière les collines."
)
POLISH = (
    "Wczoraj wieczorem poszliśmy z przyjaciółmi na spacer nad Wisłą. Było ciepło, więc "
    "usiedliśmy na ławce i rozmawialiśmy o wakacjach. Każdy z nas chciałby pojechać w góry, "
    "ale nikt nie ma jeszcze urlopu. Później zjedliśmy pierogi w małej restauracji przy rynku."
)
GREEK = (
    "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας και μία από τις αρχαιότερες πόλεις του κόσμου. "
    "Κάθε χρόνο χιλιάδες επισκέπτες ανεβαίνουν στην Ακρόπολη για να δουν τον Παρθενώνα. Το "
    "βράδυ οι ταβέρνες της Πλάκας γεμίζουν με κόσμο, μουσική και γέλια."
)
DANISH = (
    "Om sommeren kører vi til sommerhuset ved Vesterhavet. Børnene bader i bølgerne, og om "
    "aftenen griller vi pølser og spiser jordbær med fløde. Når solen går ned, sidder vi på "
    "trappen og ser på de små både i havnen."
)
VIETNAMESE = (
    "Hà Nội là thủ đô của Việt Nam, một thành phố có lịch sử hơn một nghìn năm. Mỗi sáng, "
    "người dân tập thể dục quanh hồ Hoàn Kiếm và uống cà phê trên vỉa hè. Phố cổ có nhiều con "
    "đường nhỏ, mỗi con đường bán một loại hàng khác nhau."
)
ENGLISH_LINES = (
    "The quarterly report was printed on the mainframe every Monday morning.\n"
    "Each branch office received a copy by courier before noon, and the managers\n"
    "compared the figures with the previous quarter. Nobody remembers who wrote the\n"
    "program, but it still runs, and the numbers have always added up.\n"
)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        # DOS: read as Windows-1252 or -1250, "Grüße" came out "Gr\x81\xe1e" or "Grüáe".
        (GERMAN, "cp437"),
        (GERMAN, "cp850"),
        (FRENCH, "cp850"),
        (DANISH, "cp865"),
        (POLISH, "cp852"),  # charset-normalizer finds no common page; UTF-16 fits, as Hanzi
        (GREEK, "cp737"),  # read as DOS Cyrillic 855
        (GREEK, "cp869"),  # read as Windows-1251
        # Mac: "été" came out "ŽtŽ" in Windows-1252.
        (FRENCH, "mac_roman"),
        (GERMAN, "mac_roman"),
        (POLISH, "mac_latin2"),
        (GREEK, "mac_greek"),  # read as ISO-8859-7, with "ς" and "σ" swapped
        (RUSSIAN, "mac_cyrillic"),
    ],
)
def test_old_code_page_decodes(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding), "old.txt") == text


def test_windows_1258_vietnamese_decodes() -> None:
    # Windows-1258 writes most tones as combining marks after the letter (Python's codec has
    # no precomposed "ộ"), so the bytes are made letter by letter, as Word wrote them.
    raw = b"".join(_cp1258(char) for char in VIETNAMESE)
    assert unicodedata.normalize("NFC", decode_bytes(raw, "hanoi.txt")) == VIETNAMESE


def _cp1258(char: str) -> bytes:
    try:
        return char.encode("cp1258")
    except UnicodeEncodeError:
        letters = unicodedata.normalize("NFD", char)
        tone = next(mark for mark in letters if mark in _CP1258_TONES)
        base = unicodedata.normalize("NFC", letters.replace(tone, ""))
        return base.encode("cp1258") + tone.encode("cp1258")


_CP1258_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook, dot below


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(ENGLISH_LINES, "cp037"), (DANISH, "cp500"), (GERMAN, "cp273"), (TURKISH, "cp1026")],
)
def test_ebcdic_decodes(text: str, encoding: str) -> None:
    # Mainframe files end lines in NEL (0x15); read as ASCII they hold "control bytes" and
    # passed for UTF-16. German and Turkish EBCDIC share all of German's letters' bytes.
    raw = text.replace("\n", "\x85").encode(encoding)
    assert decode_bytes(raw, "report.txt") == text
    assert looks_like_text(raw)


def test_ebcdic_line_feeds_stay_line_feeds() -> None:
    assert decode_bytes(ENGLISH_LINES.encode("cp037"), "report.txt") == ENGLISH_LINES


def test_full_width_spaces_in_shift_jis_are_not_ebcdic_spaces() -> None:
    # A table aligned with full-width spaces (0x81 0x40): a fifth of the bytes are 0x40, as
    # in EBCDIC, where 0x40 is the space.
    rows = ["品名　　　　数量　　　単価　　　　金額"] + ["りんご　　　　１０　　　１２０円"] * 6
    text = "\n".join(rows)
    raw = text.encode("shift_jis")
    assert raw.count(0x40) > len(raw) / 8
    assert decode_bytes(raw, "table.txt") == text


@pytest.mark.parametrize(
    "text",
    [
        "Grüße aus Köln",
        "Café au lait, s'il vous plaît.",
        "¿Dónde está la estación?",
        "Preis: 5 € – inkl. MwSt.",
        "PanzerGlass™ › Warranty",
        "naïve résumé",
        "Lentoyhtiöt, jotka lentävät",
        "Ærø og Føroyar – «Sådan»",
        "© 2024 Müller & Söhne GmbH",
        "„Ja“, sagte sie.",
        "Größe: 1,5 µm",
        "São Paulo é a maior cidade do Brasil.",
        FRENCH,
        DANISH,
    ],
)
def test_short_windows_1252_stays_windows_1252(text: str) -> None:
    # The DOS and Mac pages are asked only when the Windows reading looks wrong; a line or two
    # of ordinary Western text must not become "Gr³▀e" or "Caf‚".
    assert decode_bytes(text.encode("cp1252"), "note.txt") == text


def test_hz_decodes() -> None:
    text = f"Subject: Beijing\n{CHINESE_SIMPLIFIED.replace('䶮', '岩')}\nbye\n"
    raw = text.encode("hz")
    assert raw.isascii()
    assert decode_bytes(raw, "post.txt") == text


def test_tilde_brace_in_ascii_is_not_hz() -> None:
    text = "In TeX, ~{} keeps a space; a~{b} and c~{d} too.\n"
    assert decode_bytes(text.encode("ascii"), "notes.txt") == text


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_a_list_of_mail_addresses_is_not_ebcdic(encoding: str) -> None:
    # Every tenth byte "@" (EBCDIC's space) and no spaces: EBCDIC's shape, but no EBCDIC
    # page reads it as text.
    rng = random.Random(4)
    names = ["ana", "bo", "cy", "dan", "eva", "fil", "gus", "hal", "jürgen", "zoë"]
    text = "".join(f"{rng.choice(names)}@{rng.choice(['a.cz', 'ex.io'])}\n" for _ in range(300))
    if encoding == "ascii":
        text = text.replace("ü", "u").replace("ë", "e")
    assert decode_bytes(text.encode(encoding), "list.txt") == text


@pytest.mark.parametrize(
    "line",
    [
        "Smörgåsbord och kött",
        "Ça va très bien, merci",
        "Ångström är här",
        "Señor Muñoz llegó",
        "Grüße aus München",
    ],
)
@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_a_short_western_line_is_not_read_as_chinese_or_korean(line: str, encoding: str) -> None:
    # So few high bytes that GBK or Johab decode them too ("Sm鰎g錽bord", "켩gstr鍼"): lone
    # ideographs glued into Latin words, while a Western page reads the line cleanly.
    assert decode_bytes(line.encode(encoding), "note.txt") == line


@pytest.mark.parametrize(
    ("text", "encoding"),
    [("今日は良い天気です。", "shift_jis"), ("我们明天见，好吗？", "gbk"),
     ("안녕하세요 Paceline 입니다", "euc_kr"), ("今日は良い天気です。", "euc_jp")],
)
def test_short_cjk_lines_stay_cjk(text: str, encoding: str) -> None:
    # runs of ideographs, not letters glued into Latin words: left to the detector
    assert decode_bytes(text.encode(encoding), "note.txt") == text


# Hebrew in logical order, as DOS Hebrew files hold it (visual order reads the same here).
HEBREW = (
    "ירושלים היא עיר הבירה של ישראל והעיר הגדולה ביותר במדינה. בעיר העתיקה נמצאים הכותל "
    "המערבי, כנסיית הקבר וכיפת הסלע. בכל שנה מגיעים אליה מיליוני תיירים מכל העולם, ובערב "
    "מתמלאים השווקים והרחובות באנשים."
)
# A factory notice in capitals, as telegrams and old DOS notices were written.
RUSSIAN_CAPITALS = (
    "ПРИКАЗ ПО ЗАВОДУ. В СВЯЗИ С ОКОНЧАНИЕМ ГОДА ПРИКАЗЫВАЮ ПРОВЕСТИ ИНВЕНТАРИЗАЦИЮ ВСЕХ "
    "СКЛАДОВ ДО ПЯТНАДЦАТОГО ЧИСЛА. ОТВЕТСТВЕННЫМ НАЗНАЧИТЬ ГЛАВНОГО БУХГАЛТЕРА."
)


@pytest.mark.parametrize("encoding", ["cp862", "cp856"])
def test_dos_hebrew_is_not_read_as_cyrillic_capitals(encoding: str) -> None:
    # Its letters are DOS Cyrillic's capitals А-Ъ: "ЙШЕЩМЙН" for "ירושלים".
    assert decode_bytes(HEBREW.encode(encoding), "hebrew.txt") == HEBREW


@pytest.mark.parametrize("encoding", ["cp866", "mac_cyrillic"])
def test_russian_in_capitals_stays_russian(encoding: str) -> None:
    assert decode_bytes(RUSSIAN_CAPITALS.encode(encoding), "prikaz.txt") == RUSSIAN_CAPITALS


def test_mac_roman_guillemets_are_not_capitals_glued_to_words() -> None:
    # Windows-1252 reads « » as Ç È: "ÇAveva", "ÇSforzarmi" put a capital before a capitalised
    # word, which no Latin text does.
    text = (
        "Home » Chi siamo » Storia\n«Aveva fabbricato le campane per tutte le chiese», "
        "raccontano in paese. Era conosciuto da tutti come «il fabbro di Dio». Ancora oggi si "
        "ricorda la sua frase: «Sforzarmi di essere buono con tutti». È rimasto in missione "
        "per settant'anni, perché la gente lo voleva lì."
    )
    assert decode_bytes(text.encode("mac_roman"), "storia.txt") == text


def test_mac_roman_n_tilde_is_not_an_en_dash_glued_to_a_word() -> None:
    # Windows-1250 reads Breton "anezhañ, emañ" as "anezha–, ema–" (and "ù" as "ť"): a dash
    # stuck to one side of a word only.
    text = (
        "Emzivad eo anezhañ, hag emañ o chom e ti e eontr. E-pad an hañv e vez kaset d'ar skol "
        "gant e vreudeur, ha bremañ emañ o kejañ gant e vignoned nevez. Troioù-kaer a vo graet "
        "gante a-enep nerzhioù an deñvalijenn."
    )
    assert decode_bytes(text.encode("mac_roman"), "breton.txt") == text


def test_stray_control_bytes_are_left_out_of_text() -> None:
    # Web text with 0x06-0x08 hidden between its characters (to get past duplicate checks):
    # more control bytes than text holds, but no NUL, and Big5 once they are left out.
    raw = b""
    for n, char in enumerate(CHINESE_TRADITIONAL):
        raw += char.encode("big5") + (bytes([6 + n % 3]) if n % 3 == 0 else b"")
    source = Source("seo.txt", raw)
    assert read_text(source) == CHINESE_TRADITIONAL
    assert "control byte(s) strewn through the text were left out." in source.notes[-1]
    assert looks_like_text(raw)


def test_binary_without_nul_bytes_is_still_not_text() -> None:
    for seed in range(5):
        raw = bytes(random.Random(seed).choices(range(1, 256), k=4096))
        assert not looks_like_text(raw)
        with pytest.raises(DocumentError) as caught:
            decode_bytes(raw, "data.txt")
        assert caught.value.kind == "corrupt"
