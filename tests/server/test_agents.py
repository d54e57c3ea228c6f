"""Bot filtering, measured on user agents the filter was never built from.

`user-agents-eval/` holds isbot's and Matomo's fixtures (tests/data/README.md);
`user-agents/` holds the examples of the very list the filter uses, which
only shows that list is applied.
"""

from __future__ import annotations

import pytest

from server.collect.agent_lists import compile_list
from server.collect.agents import AgentClassifier
from server.collect.agents import classify_agent as classify
from tests.conftest import TEST_DATA
from tests.support.agent_sets import dropped, lines, listed_instances, set_strings

EVAL = TEST_DATA / "user-agents-eval"
LIST_EXAMPLES = TEST_DATA / "user-agents"

BOTS_DROPPED_AT_LEAST = 0.95
BROWSERS_DROPPED_BELOW = 0.01


def test_unseen_bots_are_dropped():
    """At least 95 % of the evaluation set's bots are dropped (per source: bench/bots.py)."""
    bots = lines(EVAL / "bots.txt")
    share = len(dropped(bots)) / len(bots)
    print(f"\nbots.txt: {share:.1%} of {len(bots)} dropped")
    assert share >= BOTS_DROPPED_AT_LEAST


def test_unseen_browsers_are_kept():
    """Under 1 % of the evaluation set's browsers are dropped."""
    browsers = lines(EVAL / "browsers.txt")
    wrongly = dropped(browsers)
    print(f"\nbrowsers.txt: {len(wrongly) / len(browsers):.2%} of {len(browsers)} dropped")
    assert len(wrongly) / len(browsers) < BROWSERS_DROPPED_BELOW, wrongly[:5]


@pytest.mark.parametrize("name", ["browsers-webview.txt", "browsers-electron.txt"])
def test_webview_and_electron_browsers_of_the_set_are_kept(name):
    """Every Android WebView and Electron browser of the evaluation set is kept."""
    assert dropped(lines(EVAL / "by-category" / name)) == []


def test_in_app_browsers_of_the_set_are_kept():
    """In-app browsers (LinkedIn, Facebook, Instagram…) of the set: under 1 % dropped."""
    browsers = lines(EVAL / "by-category" / "browsers-in-app.txt")
    assert len(dropped(browsers)) / len(browsers) < BROWSERS_DROPPED_BELOW


@pytest.mark.parametrize(
    "agent",
    [
        # LinkedIn's app opens links in an Android WebView or an iOS web view
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.178 Mobile Safari/537.36 [LinkedInApp]/9.29.8962",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.1234",
        "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Viber/21.6.0.0",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.164 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/450.0.0.42.109;]",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 314.0.0.20.114 (iPhone15,2; iOS 17_2; en_US; en; scale=3.00; 1179x2556; 552180573)",
        # desktop apps built on Electron
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.36.140 Chrome/120.0.6099.56 Electron/28.0.0 Safari/537.36 Sonic Slack_SSB/4.36.140",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Teams/24004.1307.2669.7070 Electron/27.1.3",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) discord/1.0.9028 Chrome/120.0.6099.291 Electron/28.2.10 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Code/1.87.0 Chrome/118.0.5993.159 Electron/27.3.2 Safari/537.36",
        # a company's or a bank's token in Internet Explorer's platform
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; Abbott Laboratories; rv:11.0) like Gecko",
        "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; Banca Caboto s.p.a.; rv:11.0) like Gecko",
        # a phone whose model name holds a bot word
        "Mozilla/5.0 (Linux; Android 6.0; CUBOT MAX) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/72.0.3626.121 Mobile Safari/537.36",
    ],
)
def test_browsers_in_apps_and_with_custom_tokens_are_kept(agent):
    """WebView, Electron and in-app browsers, and custom tokens, stay browsers."""
    assert classify(agent).bot is None


@pytest.mark.parametrize(
    "agent",
    [
        # Japanese carriers' handsets: i-mode, PHS, SoftBank and its predecessors
        "DoCoMo/2.0 P903i(c100;TB;W24H12)",
        "Mozilla/4.08 (P906i;FOMA;c500;TB)",
        "Mozilla/3.0(WILLCOM;KYOCERA/WX310K/2;1.2.2.16.000000/0.1/C100) Opera 7.0",
        "SoftBank/2.0/945SH/SHJ001/SN123456789012345 Browser/NetFront/3.5 Profile/MIDP-2.0 Configuration/CLDC-1.1",
        "J-PHONE/5.0/V801SA/SN123456789012345 SA/0001JP Profile/MIDP-1.0",
        "Mozilla/4.0 (jig browser web; 1.0.4; SH01B)",
        # Java ME phones and their browsers
        "Vodafone/1.0/V905SH/SHJ001 Browser/VF-NetFront/3.5 Profile/MIDP-2.0 Configuration/CLDC-1.1",
        "LG-KU990 Obigo/WAP2.0 Profile/MIDP-2.0 Configuration/CLDC-1.1",
        # a gateway passing a phone's request on, with its own URL
        "Mozilla/5.0 (compatible; DoCoMo/2.0 P903i(c100;TB;W24H12); +http://converter.example.jp/)",
        "Mozilla/5.0 (compatible; Example-WAP-Gateway/1.0; +http://gw.example.net/)",
        # a video player's SDK showing its page in an app's WebView
        "Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/96.0.4664.104 Mobile Safari/537.36; VideoEmbedSDK 2.3",
        # Windows Phone's Xbox Live token, and an app on a phone named like a library
        "Mozilla/5.0 (compatible; MSIE 9.0; Windows Phone OS 7.5; Trident/5.0; IEMobile/9.0; XBLWP7; ZuneWP7)",
        "MyApp 1.2 (Linux; Android 4.4; HTC Ruby Build/KTU84P)",
    ],
)
def test_phones_without_a_modern_browser_token_are_kept(agent):
    """Feature phones, WAP browsers, phone gateways and SDK WebViews are people's browsers."""
    assert classify(agent).bot is None


@pytest.mark.parametrize(
    "agent",
    [
        "DoCoMo/2.0 N905i(c100;TB;W24H16) (compatible; Googlebot-Mobile/2.1; +http://www.google.com/bot.html)",
        "SAMSUNG-SGH-E250/1.0 Profile/MIDP-2.0 Configuration/CLDC-1.1 UP.Browser/6.2.3.3.c.1.101 (GUI) MMP/2.0 (compatible; Googlebot-Mobile/2.1; +http://www.google.com/bot.html)",
        "Nokia6230i/2.0 (03.25) Profile/MIDP-2.0 Configuration/CLDC-1.1 (compatible; YahooSeeker/M1A1-R2D2; http://help.yahoo.com/help/us/ysearch/crawling/crawling-01.html)",
        "Mozilla/5.0 (Linux; Android 12; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0 Mobile Safari/537.36 ExampleSDK/1.0 Examplebot/1.0",
    ],
)
def test_crawlers_posing_as_phones_are_still_dropped(agent):
    """A phone's tokens or an SDK's do not shelter a crawler that names itself."""
    assert classify(agent).bot is not None


@pytest.mark.parametrize(
    ("agent", "reason"),
    [
        (
            "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.75 Safari/537.36 Google-Adwords-DisplayAds-WebRender;",
            "automation",
        ),
        (
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 (compatible; GoogleAdSenseInfeed)",
            "self-described bot",
        ),
        ("facebookexternalua", "self-described bot"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko; Google Search Console) Chrome/120.0.0.0 Safari/537.36",
            "self-described bot",
        ),
        ("Google", "no browser token"),
        (
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot",
            "self-described bot",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.164 Mobile Safari/537.36 (compatible; Google-Read-Aloud; +https://support.google.com/webmasters/answer/1061943)",
            "self-described bot",
        ),
        (
            "Better Uptime Bot Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.114 Safari/537.36",
            "self-described bot",
        ),
        ("Feedly/1.0 (+http://www.feedly.com/fetcher.html; 10 subscribers)", "self-described bot"),
        ("zgrab/0.x", "self-described bot"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 PTST/240201.120711",
            "automation",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0 Safari/537.36",
            "automation",
        ),
        ("python-requests/2.32.3", "http library"),
        ("curl/8.5.0", "http library"),
        ("Go-http-client/1.1", "http library"),
        ("Wget/1.21.4", "http library"),
        ("Datadog Agent/7.50.0", "self-described bot"),
        ("", "no user agent"),
    ],
)
def test_bots_are_dropped_with_a_reason(agent, reason):
    """Monitors, scanners, feed readers, ad renderers, previews, AI assistants, libraries."""
    assert classify(agent).bot == reason


def test_evaluation_set_shares_no_string_with_the_lists_the_filter_uses():
    """No string of the evaluation set is an example of the filter's own lists."""
    used = listed_instances() | set(lines(LIST_EXAMPLES / "bots.txt"))
    evaluation = set_strings(EVAL)
    assert len(evaluation) > 3_000
    assert evaluation & used == set()


def test_bots_and_browsers_of_the_set_do_not_overlap():
    """No string is filed both as a bot and as a browser."""
    assert set(lines(EVAL / "bots.txt")) & set(lines(EVAL / "browsers.txt")) == set()


def test_examples_of_the_list_used_are_dropped():
    """The `crawler-user-agents` examples: the list is applied (not a measure of unseen traffic)."""
    bots, browsers = lines(LIST_EXAMPLES / "bots.txt"), lines(LIST_EXAMPLES / "browsers.txt")
    assert len(dropped(bots)) / len(bots) >= 0.99
    assert len(dropped(browsers)) / len(browsers) <= 0.005


def test_browsers_are_reduced_to_device_class_and_family():
    iphone = classify(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
    )
    ipad = classify(
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
    )
    desktop = classify(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0"
    )
    assert (iphone.bot, iphone.device_class, iphone.browser_family) == (
        None,
        "mobile",
        "Mobile Safari",
    )
    assert ipad.device_class == "tablet"
    assert (desktop.device_class, desktop.browser_family) == ("desktop", "Edge")


@pytest.mark.parametrize(
    "agent", ["Mozilla/5.0 \udcff crawler", "Mozilla/5.0 (\x00) ÿ", "x" * 100_000]
)
def test_odd_strings_get_an_answer(agent):
    """Undecodable bytes, control characters and huge strings are classified, not raised on."""
    assert classify(agent).bot is not None


def test_patterns_re2_refuses_still_match():
    """A list pattern RE2 cannot run (look-ahead, possessive) is matched by `re`."""
    patterns = compile_list(["Yandex(?!Search)", "x++y", "crawly"])
    assert patterns.search("YandexBot/3.0")
    assert not patterns.search("YandexSearch/1.0")
    assert patterns.search("xxy")
    assert patterns.search("CRAWLY/2")
    assert not patterns.search("Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0")


def test_answers_are_cached_per_user_agent():
    classifier = AgentClassifier(size=2)
    first = classifier.classify("curl/8.5.0")
    assert classifier.classify("curl/8.5.0") is first
