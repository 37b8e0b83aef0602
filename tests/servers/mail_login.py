"""Logs in to a mail server with Python's own clients (imaplib, poplib,
smtplib), as a mail client would, and prints one line: `ok` and what the
session could do, `refused` and the server's answer, or `temporary` and the
server's answer. Never prints the password.

Usage: mail_login.py imap|pop3|submission PORT USER PASSWORD-FILE SOURCE [RECIPIENT]
(the password is read from a file so that it is not on a command line;
SOURCE is the loopback address the client connects from, 127.0.0.N, as a
mail client's own address).
"""

import imaplib
import poplib
import smtplib
import socket
import ssl
import sys

protocol, port, user, password_file, source = sys.argv[1:6]
recipient = sys.argv[6] if len(sys.argv) > 6 else None


class IMAP4(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(source, 0))


class POP3(poplib.POP3):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(source, 0))


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
        client = IMAP4("127.0.0.1", port, timeout=20)
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
        client = POP3("127.0.0.1", port, timeout=20)
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
        client = smtplib.SMTP("127.0.0.1", port, timeout=20, source_address=(source, 0))
        client.starttls(context=context)
        client.ehlo()
        # One AUTH PLAIN: login() would go on to try the next mechanism.
        client.user, client.password = user, password
        try:
            client.auth("PLAIN", client.auth_plain)
        except smtplib.SMTPAuthenticationError as error:
            say("temporary" if error.smtp_code == 454 else "refused", f"{error.smtp_code} {error.smtp_error}")
            sys.exit(0)
        except smtplib.SMTPResponseException as error:
            say("temporary" if error.smtp_code == 454 else "refused", f"{error.smtp_code} {error.smtp_error}")
            sys.exit(0)
        sent = ""
        if recipient:
            message = f"From: {recipient}\r\nTo: {recipient}\r\nSubject: submitted through Mailkeys\r\n\r\nhello\r\n"
            # MAIL FROM without parameters (sendmail() would add SIZE=).
            code, answer = client.mail(recipient)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, answer, recipient)
            code, answer = client.rcpt(recipient)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})
            client.data(message)
            sent = " sent"
        say("ok", f"AUTH 235{sent}")
        client.quit()
except Exception as error:  # a broken connection, a timeout
    say("error", f"{type(error).__name__}: {error}")
