"""The local AWS emulator: moto's server, answering one request at a time.

moto's own `moto_server` serves requests on threads, and its
TransactWriteItems undoes a failed transaction by restoring a copy of the
whole table taken when it began, which can also undo another request's
transaction committed in between. Serving requests one at a time gives the
all-or-nothing, serializable transactions that DynamoDB itself has.
"""

import argparse

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

parser = argparse.ArgumentParser()
parser.add_argument("-H", "--host", default="127.0.0.1")
parser.add_argument("-p", "--port", type=int, required=True)
args = parser.parse_args()

run_simple(args.host, args.port, DomainDispatcherApplication(create_backend_app), threaded=False, use_reloader=False)
