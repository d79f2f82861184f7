#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Drives portgate's web page in a real browser (Debian's chromium through
# chromium-driver and python3-selenium) for test_e2e_web.sh: one command
# per line on stdin, one answer line on stdout. Every wait has a deadline.
#   open URL | login TOKEN | shown ID | wait_text ID SECONDS TEXT...
#   wait_gone ID SECONDS TEXT... | add PEER PROTO EXTERNAL INTERNAL
#   remove PORT | message | screenshot PATH [WIDTH HEIGHT] | quit
import sys
import tempfile

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1100,860", "--user-data-dir=" + tempfile.mkdtemp()):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def text_of(d, elem_id):
    return d.find_element(By.ID, elem_id).text


def wait(d, seconds, cond):
    try:
        WebDriverWait(d, float(seconds), poll_frequency=0.1).until(lambda _: cond())
        return "yes"
    except TimeoutException:
        return "no"


def message_changed(d, before):
    # The answer to a form is the message line: wait for it to change.
    wait(d, 5, lambda: text_of(d, "message") != before)
    return text_of(d, "message") or "(no message)"


def run(d, words):
    cmd, args = words[0], words[1:]
    if cmd == "open":
        d.get(args[0])
        return "ok"
    if cmd == "login":
        before = text_of(d, "message")
        d.find_element(By.ID, "token").send_keys(args[0])
        d.find_element(By.CSS_SELECTOR, "#login button").click()
        ok = wait(d, 5, lambda: d.find_element(By.ID, "view").is_displayed() or
                  text_of(d, "message") != before)
        return "ok" if ok == "yes" else "no answer"
    if cmd == "shown":
        return "yes" if d.find_element(By.ID, args[0]).is_displayed() else "no"
    if cmd in ("wait_text", "wait_gone"):
        want = " ".join(args[2:])
        present = cmd == "wait_text"
        return wait(d, args[1], lambda: (want in text_of(d, args[0])) == present)
    if cmd == "add":
        before = text_of(d, "message")
        Select(d.find_element(By.ID, "add-peer")).select_by_value(args[0])
        Select(d.find_element(By.ID, "add-protocol")).select_by_value(args[1])
        d.find_element(By.ID, "add-external").send_keys(args[2])
        d.find_element(By.ID, "add-internal").send_keys(args[3])
        d.find_element(By.CSS_SELECTOR, "#add button").click()
        return message_changed(d, before)
    if cmd == "remove":
        before = text_of(d, "message")
        d.find_element(By.CSS_SELECTOR, "button.remove[data-port='%s']" % args[0]).click()
        return message_changed(d, before)
    if cmd == "message":
        return text_of(d, "message") or "(no message)"
    if cmd == "screenshot":
        if len(args) == 3:
            d.set_window_size(int(args[1]), int(args[2]))
        d.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
        d.save_screenshot(args[0])
        return "ok"
    return "unknown command"


def main():
    d = browser()
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "quit":
                break
            try:
                answer = run(d, words)
            except WebDriverException as e:
                answer = "error " + (e.msg or str(e)).splitlines()[0]
            except (IndexError, ValueError) as e:
                answer = "error %s: %s" % (words[0], e)
            print(answer.replace("\n", " "), flush=True)
    finally:
        d.quit()


if __name__ == "__main__":
    main()
