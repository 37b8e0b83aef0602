"""Logs in to a mail server with Python's own clients (imaplib, poplib,
smtplib), as a mail client would, and prints one line: `ok` and what the
session could do, `refused` and the server's answer, or `temporary` and the
server's answer. Never prints the password.

Usage: mail_login.py imap|pop3|submission PORT USER PASSWORD-FILE [RECIPIENT]
(the password is read from a file so that it is not on a command line).
"""

import imaplib
import poplib
import smtplib
import ssl
import sys

protocol, port, user, password_file = sys.argv[1:5]
recipient = sys.argv[5] if len(sys.argv) > 5 else None
password = open(password_file).read().strip()
port = int(port)
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE


def say(what, text):
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    print(what, text.replace(password, "<password>").replace("\r", " ").replace("\n", " ")[:200], flush=True)


try:
    if protocol == "imap":
        client = imaplib.IMAP4("127.0.0.1", port, timeout=20)
        client.starttls(context)
        try:
            client.login(user, password)
        except imaplib.IMAP4.error as error:
            text = str(error)
            say("temporary" if "UNAVAILABLE" in text else "refused", text)
            sys.exit(0)
        status, data = client.select("INBOX")
        say("ok", f"SELECT {status} {data[0].decode()}")
        client.logout()
    elif protocol == "pop3":
        client = poplib.POP3("127.0.0.1", port, timeout=20)
        client.stls(context)
        client.user(user)
        try:
            client.pass_(password)
        except poplib.error_proto as error:
            text = str(error)
            say("temporary" if "[SYS/TEMP]" in text or "[IN-USE]" in text else "refused", text)
            sys.exit(0)
        count, size = client.stat()
        say("ok", f"STAT {count} {size}")
        client.quit()
    elif protocol == "submission":
        client = smtplib.SMTP("127.0.0.1", port, timeout=20)
        client.starttls(context=context)
        try:
            client.login(user, password)
        except smtplib.SMTPAuthenticationError as error:
            say("temporary" if error.smtp_code == 454 else "refused", f"{error.smtp_code} {error.smtp_error}")
            sys.exit(0)
        except smtplib.SMTPResponseException as error:
            say("temporary" if error.smtp_code == 454 else "refused", f"{error.smtp_code} {error.smtp_error}")
            sys.exit(0)
        sent = ""
        if recipient:
            message = f"From: {recipient}\r\nTo: {recipient}\r\nSubject: submitted through Mailkeys\r\n\r\nhello\r\n"
            client.sendmail(recipient, [recipient], message)
            sent = " sent"
        say("ok", f"AUTH 235{sent}")
        client.quit()
except Exception as error:  # a broken connection, a timeout
    say("error", f"{type(error).__name__}: {error}")
